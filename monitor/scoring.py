"""Scoring of a mention: sentiment, polarity, negative flag, category, KOL flag, priority.

``Scorer`` is the one entry point the ingest pipeline uses. It is pure: text and
numbers in, a :class:`Score` out, no I/O after construction.

Priority (0–1) ranks mentions in alerts and the digest::

    priority = 0.35·negativity + 0.25·influence + 0.25·reach + 0.15·severity

with negativity = 1 − sentiment, influence = log10(1 + followers) / 7 capped at 1
(a KOL counts as 1), reach = log10(1 + reposts·3 + comments·2 + likes) / 5 capped at 1,
and severity the category's weight (product quality 1.0 … other 0.3; 0 when not negative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from monitor.categories import SEVERITY, Categoriser
from monitor.config import BrandConfig, Config
from monitor.language import detect_language  # noqa: F401  (re-exported: the CLI and bench use it from here)
from monitor.matching import is_kol
from monitor.sentiment.linear import model_file_problem
from monitor.sentiment.scorer import SentimentScorer, polarity_of  # noqa: F401  (polarity_of: re-exported)


@dataclass(frozen=True)
class Score:
    """What scoring says about one mention."""

    language: str
    sentiment: float
    negative: bool
    category: str | None
    kol: bool
    priority: float
    polarity: str = "neutral"


def load_sentiment(zh_model: str | None = None, en_model: str | None = None) -> SentimentScorer:
    """The sentiment models (bundled, or trained by ``repmon train-sentiment``), loaded once."""
    # One cache key however it is called: the crawl fork server warms ``load_sentiment(None)``
    # and a Scorer asks for ``load_sentiment(None, None)``; lru_cache keys the two apart, and
    # every crawl child loaded the models again (about 1.5 s).
    return _load_sentiment(zh_model, en_model)


@lru_cache(maxsize=4)
def _load_sentiment(zh_model: str | None, en_model: str | None) -> SentimentScorer:
    for key, path in (("scoring.model", zh_model), ("scoring.model_en", en_model)):
        problem = model_file_problem(path) if path else None
        if problem:
            raise FileNotFoundError(f"{key}: {problem}")
    return SentimentScorer(zh_model, en_model)


def priority_score(sentiment: float, *, negative: bool, category: str | None, kol: bool, followers: int | None,
                   reposts: int, comments: int, likes: int, severity: dict[str, float] | None = None) -> float:
    """The documented priority formula (see module docstring)."""
    weights = {**SEVERITY, **(severity or {})}
    negativity = 1.0 - sentiment
    influence = 1.0 if kol else min(1.0, math.log10(1 + max(followers or 0, 0)) / 7)
    reach = min(1.0, math.log10(1 + 3 * reposts + 2 * comments + likes) / 5)
    sev = weights.get(category or "other", weights["other"]) if negative else 0.0
    return round(0.35 * negativity + 0.25 * influence + 0.25 * reach + 0.15 * sev, 4)


class Scorer:
    """Scores mentions for the brands of one config."""

    def __init__(self, config: Config):
        self.config = config
        self.negative_below = config.scoring.negative_below
        self.positive_above = config.scoring.positive_above
        self.categoriser = Categoriser(config.scoring.categories)
        self.severity = config.scoring.severity
        zh, en = (config.resolve_path(p) if p else None for p in (config.scoring.model, config.scoring.model_en))
        self.sentiment_model = load_sentiment(str(zh) if zh else None, str(en) if en else None)

    def sentiment(self, text: str, language: str) -> float:
        """Sentiment in [0, 1]; 0 is negative."""
        return self.sentiment_model.score(text, language)

    def polarity(self, sentiment: float) -> str:
        """negative / neutral / positive by the config's cuts."""
        return polarity_of(sentiment, self.negative_below, self.positive_above)

    def category(self, text: str) -> str:
        return self.categoriser.categorise(text)

    def score(
        self,
        text: str,
        *,
        brand: BrandConfig,
        followers: int | None = None,
        verified: bool | None = None,
        author_id: str | None = None,
        author_name: str | None = None,
        reposts: int = 0,
        comments: int = 0,
        likes: int = 0,
    ) -> Score:
        """Score one mention of ``brand``."""
        language = detect_language(text)
        sentiment = self.sentiment(text, language)
        polarity = self.polarity(sentiment)
        negative = polarity == "negative"
        # Only complaints have a category: a category word in a neutral post (空气质量) is topic.
        category = self.category(text) if negative else None
        kol = is_kol(brand.kol, followers=followers, verified=verified, author_ids=(author_id, author_name))
        priority = priority_score(sentiment, negative=negative, category=category, kol=kol, followers=followers,
                                  reposts=reposts, comments=comments, likes=likes, severity=self.severity)
        return Score(language, sentiment, negative, category, kol, priority, polarity)
