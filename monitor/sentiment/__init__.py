"""Sentiment of Chinese and English posts: negative, neutral or positive, and a 0–1 score.

- :mod:`.scorer` — :class:`SentimentScorer`, the one entry point (load once, then pure).
- :mod:`.features` — what the models read of a text; :mod:`.cues` — rules they cannot learn.
- :mod:`.linear` — the three-way model and its file; :mod:`.bayes` — SnowNLP's Bayes
  evidence, one of the Chinese model's features.
- :mod:`.training`, :mod:`.recipes`, :mod:`.corpora` — how models are made (NumPy and
  SciPy are imported there only).

The names below are imported on first use: ``monitor.config`` checks model files through
:mod:`.linear`, and that must not load jieba, SnowNLP and OpenCC into every command.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"SentimentScorer": "scorer", "Judgement": "scorer", "ZH_MODEL": "scorer", "EN_MODEL": "scorer",
         "tokens": "bayes", "simplified": "text"}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
