"""The sentiment of a mention: three-way probabilities, a 0–1 sentiment, failure cues.

Load once (:class:`SentimentScorer`), then :meth:`SentimentScorer.judge` is pure. The
sentiment is the expected value of the three classes (negative 0, neutral 0.5, positive 1),
so a text the model finds emotion-free scores about 0.5 whatever its topic, and the
product's cut (``scoring.negative_below``, 0.4) needs P(negative) well above P(positive).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from monitor.language import chinese_share
from monitor.sentiment import cues
from monitor.sentiment.bayes import negated_praise
from monitor.sentiment.features import Featurizer, zh_features
from monitor.sentiment.linear import LinearModel
from monitor.sentiment.text import fold

DATA = Path(__file__).with_name("data")
ZH_MODEL = DATA / "zh_judge.json.gz"
EN_MODEL = DATA / "en_judge.json.gz"
NEUTRAL = (0.0, 1.0, 0.0)


@dataclass(frozen=True)
class Judgement:
    """What the models say of one text."""

    sentiment: float
    probabilities: tuple[float, float, float]  # negative, neutral, positive
    cue: str | None = None  # the complaint cue that capped the sentiment, if any


# A post reporting that something broke or failed is a complaint, however it is worded
# (see monitor/sentiment/cues.py), and so is one using the lexicon's explicit complaint
# words (骗子, 气死, 坑人, [怒] …; log-odds at or below COMPLAINT_WORDS) or negating its praise
# (不满意, 不推荐) unless the model reads it as positive: its sentiment is at most CUE_CAP — below the default negative cut (0.4),
# above the KOL confidence bar (0.25), so a cue alone never makes a KOL's post a red
# incident; what the model reads can still take it lower.
CUE_CAP = 0.3
COMPLAINT_WORDS = -2.0


def cue_rule(features: dict[str, float], folded: str) -> Callable[[float], float]:
    """The Chinese cue rule for one (folded) text, as a function of the model's sentiment
    (the training recipe calibrates with it, so calibration and use agree)."""
    failure = cues.failure_zh(folded)
    complaint = features.get("d:lex", 0.0) * 4.0 <= COMPLAINT_WORDS or negated_praise(folded) is not None

    def final(sentiment: float) -> float:
        if failure or (complaint and sentiment < 0.5):
            return min(sentiment, CUE_CAP)
        return sentiment

    return final


class SentimentScorer:
    """Chinese and English three-way models (bundled, or trained by ``repmon train-sentiment``)."""

    def __init__(self, zh_model: str | Path | None = None, en_model: str | Path | None = None):
        self.zh = LinearModel.load(zh_model or ZH_MODEL)
        self._en_path = en_model or EN_MODEL
        self.features = Featurizer()

    @classmethod
    def from_models(cls, zh: LinearModel | None = None, en: LinearModel | None = None, *,
                    featurizer: Featurizer | None = None) -> "SentimentScorer":
        """A scorer over models in memory (the bundled ones where None)."""
        scorer = cls.__new__(cls)
        scorer.zh = zh or LinearModel.load(ZH_MODEL)
        scorer._en_path = EN_MODEL
        if en is not None:
            scorer.__dict__["en"] = en
        scorer.features = featurizer or Featurizer()
        return scorer

    @cached_property
    def en(self) -> LinearModel:
        # Loaded on the first English text: many deployments see none.
        return LinearModel.load(self._en_path)

    def judge_zh(self, text: str) -> Judgement:
        folded = fold(text)
        features = zh_features(folded, self.features.bayes)
        p = self.zh.proba(features)
        raw = _expected(p)
        sentiment = cue_rule(features, folded)(raw)
        cue = None
        if sentiment < raw:
            cue = cues.failure_zh(folded) or negated_praise(folded) or "complaint words"
        return Judgement(sentiment, p, cue)

    def judge_en(self, text: str) -> Judgement:
        features = self.features.en(text)
        p = self.en.proba(features)
        raw = _expected(p)
        if features.get("d:fail") and raw > CUE_CAP:
            return Judgement(CUE_CAP, p, cues.failure_en(text.lower().replace("’", "'")) or "failure event")
        return Judgement(raw, p)

    def judge(self, text: str, language: str) -> Judgement:
        """Sentiment of ``text``; ``language`` from :func:`monitor.language.detect_language`."""
        if language == "zh":
            return self.judge_zh(text)
        if language == "en":
            return self.judge_en(text)
        if language == "mixed":
            # Both models read the whole text; each counts as much as its script's share of words.
            share = chinese_share(text) or 0.5
            zh, en = self.judge_zh(text), self.judge_en(text)
            p = tuple(share * a + (1 - share) * b for a, b in zip(zh.probabilities, en.probabilities))
            return Judgement(share * zh.sentiment + (1 - share) * en.sentiment, p, zh.cue or en.cue)
        return Judgement(0.5, NEUTRAL)

    def score(self, text: str, language: str) -> float:
        """Sentiment in [0, 1] (0 = negative)."""
        return self.judge(text, language).sentiment


def _expected(p: tuple[float, float, float]) -> float:
    return 0.5 + 0.5 * (p[2] - p[0])
