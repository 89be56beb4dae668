"""Sentiment of Chinese and English posts: negative, neutral or positive, and a 0–1 score.

- :mod:`.scorer` — :class:`SentimentScorer`, the one entry point (load once, then pure).
- :mod:`.features` — what the models read of a text; :mod:`.cues` — rules they cannot learn.
- :mod:`.linear` — the three-way model and its file; :mod:`.bayes` — SnowNLP's Bayes
  evidence, one of the Chinese model's features.
- :mod:`.training`, :mod:`.recipes`, :mod:`.corpora` — how models are made (NumPy and
  SciPy are imported there only).
"""

from monitor.sentiment.bayes import tokens
from monitor.sentiment.scorer import EN_MODEL, ZH_MODEL, Judgement, SentimentScorer
from monitor.sentiment.text import simplified

__all__ = ["EN_MODEL", "ZH_MODEL", "Judgement", "SentimentScorer", "simplified", "tokens"]
