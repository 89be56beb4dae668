"""What the three-way models read of a text: named features with values. Pure.

A feature is a string (``w:质量`` a word, ``c:断了`` two characters, ``d:bayes`` a dense
score); :class:`monitor.sentiment.linear.LinearModel` holds one weight per class for each.
Chinese: jieba words (a negation marks the next word: ``w:不_满意``), single characters
and character pairs (jieba splits new words, typos and slang unpredictably; characters do
not), Weibo emoticons, the punctuation that carries tone, the Bayes and lexicon evidence of
:mod:`.bayes`, and question cues. English: words and word pairs with the same negation
marking, character 3–5-grams inside words, VADER's scores and question cues. @handles,
links and digits are folded away: they name the topic, not the feeling, and a model that
learned airline handles would not carry to a jewellery brand.
"""

from __future__ import annotations

import re

from monitor.sentiment import cues
from monitor.sentiment.bayes import EMOTICON_RE, NEGATIONS, BayesEvidence, bayes_tokens, segment
from monitor.sentiment.text import HANDLE_RE, URL_RE, fold

# Punctuation that says something about tone; the rest only separates.
_TONE = frozenset("?!~…")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def zh_features(folded: str, bayes: BayesEvidence) -> dict[str, float]:
    """Features of a Chinese (or mixed) text, given :func:`~monitor.sentiment.text.fold`'s form."""
    t = HANDLE_RE.sub(" ", URL_RE.sub(" ", folded))
    out: dict[str, float] = {}
    for name in EMOTICON_RE.findall(t):
        out["e:" + name] = 1.0
    words = segment(t)
    negate = False
    for w in words:
        if w in NEGATIONS:
            negate = True
            out["w:" + w] = 1.0
            continue
        if len(w) == 1 and not w.isalnum():
            if w in _TONE:
                out["p:" + w] = 1.0
            negate = False
            continue
        if w.isdigit():
            w = "0"
        out[("w:不_" if negate else "w:") + w] = 1.0
        negate = False
    body = EMOTICON_RE.sub(" ", t)
    prev = ""
    for ch in body:
        if "\u4e00" <= ch <= "\u9fff":
            out["u:" + ch] = 1.0
            if prev:
                out["c:" + prev + ch] = 1.0
            prev = ch
        else:
            prev = ""
    bayes_lo, lexicon = bayes.evidence(t, bayes_tokens(words))
    out["d:bayes"] = max(-6.0, min(6.0, bayes_lo)) / 3.0
    out["d:lex"] = lexicon / 4.0
    _shape(t.strip(), out, *cues.is_question_zh(t.strip()))
    return out


_EN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[!?]")
_EN_NEGATIONS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "cannot", "without"})
_CLAUSE_END = re.compile(r"[.,;:!?]")


def en_features(text: str, vader) -> dict[str, float]:
    """Features of an English text; ``vader`` is a VADER ``SentimentIntensityAnalyzer``."""
    lower = HANDLE_RE.sub(" @ ", URL_RE.sub(" ", text.lower()))
    lower = _DIGITS.sub("0", lower)
    out: dict[str, float] = {}
    for clause in _CLAUSE_END.split(lower):
        prev = "<s>"
        negate = False
        for w in _EN_WORD.findall(clause):
            if w in _EN_NEGATIONS or w.endswith("n't"):
                negate = True
                tok = w
            else:
                tok = "not_" + w if negate else w
            out["w:" + tok] = 1.0
            out["b:" + prev + "|" + tok] = 1.0
            prev = tok
            if len(w) >= 3:
                padded = f"<{w}>"
                for n in (3, 4, 5):
                    for i in range(len(padded) - n + 1):
                        out["c:" + padded[i:i + n]] = 1.0
    for mark in ("!", "?"):
        if mark in lower:
            out["p:" + mark] = 1.0
    scores = vader.polarity_scores(text)
    out["d:vader"] = scores["compound"]
    out["d:vader_neg"] = scores["neg"]
    out["d:vader_pos"] = scores["pos"]
    _shape(lower.strip(), out, *cues.is_question_en(lower.strip()))
    return out


def _shape(t: str, out: dict[str, float], question_end: bool, question_word: bool) -> None:
    if question_end:
        out["d:q_end"] = 1.0
    if question_word:
        out["d:q_word"] = 1.0
    out["d:excl"] = min(3, t.count("!") + t.count("！")) / 3.0
    out["d:len"] = min(len(t), 200) / 200.0


class Featurizer:
    """Features of a text in its language, with the evidence models loaded once, lazily."""

    def __init__(self, bayes: BayesEvidence | None = None):
        self._bayes = bayes
        self._vader = None

    @property
    def bayes(self) -> BayesEvidence:
        if self._bayes is None:
            self._bayes = BayesEvidence()
        return self._bayes

    @property
    def vader(self):
        if self._vader is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._vader = SentimentIntensityAnalyzer()
        return self._vader

    def zh(self, text: str) -> dict[str, float]:
        return zh_features(fold(text), self.bayes)

    def en(self, text: str) -> dict[str, float]:
        return en_features(text, self.vader)
