"""Figures of negative talk over a window: pure functions over mention facts.

- negative volume = the number of negative mentions + the reposts they collected
- top negative mentions, ranked by priority (which weighs reach — reposts + comments +
  likes — with the author's influence, how negative the text is and the category's
  severity; see monitor/scoring.py), then by reach
- KOL involvement: a KOL's negative post counts as KOL involvement (it triggers an incident
  and makes it red) only when it is negative with confidence — its sentiment below
  ``kol_confident_below`` (0.25). A KOL post the models only lean negative on (a neutral
  product post they misread, a mild remark) still counts in the negative volume and is
  listed as a KOL mention *to watch*: a red incident and a crisis team for a misread post
  would cost more than a look at a listed one.

The evaluator does not load the window: the database returns each cause's totals and only
the rows the figures can name (``monitor.window_figures``), and ``figures_from`` assembles
them. tests/test_window_figures.py holds the result to the figures computed from every
mention of the window (``tests/support/window_reference.py``, the definition).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

OTHER = "other"


@dataclass(frozen=True)
class MentionFacts:
    """What the evaluator needs of one mention (a plain copy of the stored row)."""

    id: int
    brand: str
    category: str | None
    negative: bool
    published_at: datetime
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    kol: bool = False
    text: str = ""
    url: str | None = None
    author_name: str | None = None
    author_followers: int | None = None
    source_id: str = ""
    sentiment: float | None = None
    priority: float | None = None
    first_seen_at: datetime | None = None

    def new_since(self, at: datetime) -> bool:
        """Published, or first stored (a late find of an older post), after ``at``."""
        return self.published_at > at or (self.first_seen_at is not None and self.first_seen_at > at)

    @property
    def cause(self) -> str:
        """The complaint category as an incident cause; unknown counts as 'other'."""
        return self.category or OTHER

    @property
    def reach(self) -> int:
        return self.reposts + self.comments + self.likes

    def as_post(self) -> dict:
        """JSON-able form for notification contexts and templates."""
        return {
            "id": self.id,
            "text": self.text,
            "url": self.url,
            "author_name": self.author_name,
            "followers": self.author_followers,
            "kol": self.kol,
            "reposts": self.reposts,
            "comments": self.comments,
            "likes": self.likes,
            "reach": self.reach,
            "published_at": self.published_at.isoformat(),
            "source_id": self.source_id,
        }


@dataclass(frozen=True)
class Figures:
    """Negative talk of one brand and cause over one window."""

    brand: str
    cause: str
    negative_count: int = 0
    reposts: int = 0
    top: tuple[MentionFacts, ...] = ()
    kols: tuple[MentionFacts, ...] = ()
    kol_watch: tuple[MentionFacts, ...] = ()
    max_reposts: MentionFacts | None = None
    last_published_at: datetime | None = None

    @property
    def negative_volume(self) -> int:
        return self.negative_count + self.reposts

    @property
    def kol_involved(self) -> bool:
        return bool(self.kols)

    def summary(self) -> dict:
        """The figures stored on an incident and compared between cycles."""
        return {
            "negative_count": self.negative_count,
            "negative_volume": self.negative_volume,
            "reposts": self.reposts,
            "kols": sorted({k.author_name or str(k.id) for k in self.kols}),
            "kol_watch": sorted({k.author_name or str(k.id) for k in self.kol_watch}),
            "top_ids": [m.id for m in self.top],
            "last_published_at": self.last_published_at.isoformat() if self.last_published_at else None,
        }


def _by_rank(m: MentionFacts) -> tuple:
    """What the team should look at first: the highest priority, then the widest reach."""
    return (m.priority if m.priority is not None else -1.0, m.reach, m.reposts, m.published_at, m.id)


def confident(m: MentionFacts, below: float) -> bool:
    """Negative with confidence: sentiment below ``below`` (a row without a sentiment counts)."""
    return m.sentiment is None or m.sentiment < below


@dataclass(frozen=True)
class Totals:
    """What a cause's figures sum over all its negative mentions in the window."""

    negative_count: int
    reposts: int
    last_published_at: datetime


def figures_from(brand: str, cause: str, totals: Totals, candidates: Iterable[MentionFacts], top_n: int = 5,
                 kol_confident_below: float = 0.25) -> Figures:
    """Figures from a cause's totals and ``candidates``: negative mentions of the window
    that include at least the ``top_n`` first by rank, every KOL post and the most
    reposted post (more do no harm: each is picked by rank, KOL flag or reposts)."""
    neg = [m for m in candidates if m.negative]
    ranked = sorted(neg, key=_by_rank, reverse=True)
    kols = tuple(m for m in ranked if m.kol and confident(m, kol_confident_below))
    watch = tuple(m for m in ranked if m.kol and not confident(m, kol_confident_below))
    return Figures(
        brand=brand,
        cause=cause,
        negative_count=totals.negative_count,
        reposts=totals.reposts,
        top=tuple(ranked[:top_n]),
        kols=kols,
        kol_watch=watch,
        max_reposts=max(neg, key=lambda m: (m.reposts, m.id), default=None),
        last_published_at=totals.last_published_at,
    )


def hourly_from_ages(by_age: Mapping[int, tuple[int, int]], hours: int) -> tuple[list[int], int]:
    """The negative volume in each of the last ``hours`` whole hours, oldest first, and the
    negative posts in the last of them, from the negative posts and their reposts per whole
    hour of age (0: published in the last hour before now)."""
    buckets = [0] * hours
    for age, (posts, reposts) in by_age.items():
        if 0 <= age < hours:
            buckets[hours - 1 - age] = posts + reposts
    return buckets, by_age.get(0, (0, 0))[0]
