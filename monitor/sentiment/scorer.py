"""The sentiment of a mention: three-way probabilities, a 0–1 sentiment, complaint cues.

Load once (:class:`SentimentScorer`), then :meth:`SentimentScorer.judge` is pure. The
sentiment is the expected value of the three classes (negative 0, neutral 0.5, positive 1),
so a text the model finds emotion-free scores about 0.5 whatever its topic, and the
product's cut (``scoring.negative_below``, 0.4) needs P(negative) well above P(positive).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from monitor.language import chinese_share
from monitor.sentiment import cues
from monitor.sentiment.bayes import negated_praise
from monitor.sentiment.features import Featurizer, zh_features
from monitor.sentiment.linear import LinearModel, sentiment_of
from monitor.sentiment.text import fold

DATA = Path(__file__).with_name("data")
ZH_MODEL = DATA / "zh_judge.json.gz"
EN_MODEL = DATA / "en_judge.json.gz"
NEUTRAL = (0.0, 1.0, 0.0)

# A post reporting that something broke or failed is a complaint, however it is worded
# (see monitor/sentiment/cues.py), and so is one using the lexicon's explicit complaint
# words (骗子, 气死, 坑人, [怒] …; log-odds at or below COMPLAINT_WORDS) or negating its praise
# (不满意, 不推荐) unless the model reads it as positive: its sentiment is at most CUE_CAP —
# below the default negative cut (0.4), above the KOL confidence bar (0.25), so a cue alone
# never makes a KOL's post a red incident; what the model reads can still take it lower.
CUE_CAP = 0.3
COMPLAINT_WORDS = -2.0


def polarity_of(sentiment: float, negative_below: float = 0.4, positive_above: float = 0.6) -> str:
    """``negative`` below the negative cut (the negative flag), ``positive`` above the
    positive one, ``neutral`` between."""
    if sentiment < negative_below:
        return "negative"
    if sentiment > positive_above:
        return "positive"
    return "neutral"


@dataclass(frozen=True)
class Cue:
    """A complaint cue found in a text: a failure event caps whatever the model reads;
    complaint words only what it does not read as positive."""

    name: str
    failure: bool

    def cap(self, sentiment: float) -> float:
        if self.failure or sentiment < 0.5:
            return min(sentiment, CUE_CAP)
        return sentiment


def zh_cue(features: dict[str, float], folded: str) -> Cue | None:
    """The complaint cue of a folded Chinese text and its features, if any (the training
    recipe calibrates with it, so calibration and use agree)."""
    failure = cues.failure_zh(folded)
    if failure:
        return Cue(failure, True)
    praise = negated_praise(folded)
    if praise:
        return Cue(praise, False)
    if features.get("d:lex", 0.0) * 4.0 <= COMPLAINT_WORDS:  # d:lex is the lexicon's log-odds / 4
        return Cue("complaint words", False)
    return None


@dataclass(frozen=True)
class Judgement:
    """What the models say of one text."""

    sentiment: float
    probabilities: tuple[float, float, float]  # negative, neutral, positive
    cue: str | None = None  # the complaint cue that capped the sentiment, if any


class SentimentScorer:
    """Chinese and English three-way models: the bundled ones, files trained by ``repmon
    train-sentiment``, or models in memory (training and the bench)."""

    def __init__(self, zh_model: str | Path | LinearModel | None = None,
                 en_model: str | Path | LinearModel | None = None, *, featurizer: Featurizer | None = None):
        self.zh = zh_model if isinstance(zh_model, LinearModel) else LinearModel.load(zh_model or ZH_MODEL)
        self._en = en_model
        self.features = featurizer or Featurizer()

    @cached_property
    def en(self) -> LinearModel:
        # Loaded on the first English text: many deployments see none.
        return self._en if isinstance(self._en, LinearModel) else LinearModel.load(self._en or EN_MODEL)

    def judge_zh(self, text: str) -> Judgement:
        folded = fold(text)
        features = zh_features(folded, self.features.bayes)
        p = self.zh.proba(features)
        return _capped(p, zh_cue(features, folded))

    def judge_en(self, text: str) -> Judgement:
        features = self.features.en(text)
        cue = None
        if features.get("d:fail"):
            cue = Cue(cues.failure_en(text.lower().replace("’", "'")) or "failure event", True)
        return _capped(self.en.proba(features), cue)

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


def _capped(p: tuple[float, float, float], cue: Cue | None) -> Judgement:
    raw = sentiment_of(p)
    if cue is None:
        return Judgement(raw, p)
    sentiment = cue.cap(raw)
    return Judgement(sentiment, p, cue.name if sentiment < raw else None)
