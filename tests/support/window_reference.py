"""The figures of a window as defined: computed in Python from every mention in it.

The evaluator never loads the window (``monitor.window_figures`` asks the database for
each cause's totals and the few rows the figures name); tests/test_window_figures.py holds
its result to these, on random data. They share ``monitor.figures.figures_from``'s rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from monitor.figures import Figures, MentionFacts, Totals, figures_from


def figures_for(brand: str, cause: str, mentions: Iterable[MentionFacts], top_n: int = 5,
                kol_confident_below: float = 0.25) -> Figures:
    """Figures of the negative mentions among ``mentions`` (already limited to the window)."""
    neg = [m for m in mentions if m.negative]
    if not neg:
        return Figures(brand, cause)
    totals = Totals(len(neg), sum(m.reposts for m in neg), max(m.published_at for m in neg))
    return figures_from(brand, cause, totals, neg, top_n, kol_confident_below)


def in_window(mentions: Iterable[MentionFacts], now: datetime, window: timedelta) -> list[MentionFacts]:
    """Mentions published in (now - window, now]."""
    start = now - window
    return [m for m in mentions if start < m.published_at <= now]


def figures_by_cause(
    brand: str, mentions: Iterable[MentionFacts], now: datetime, window: timedelta, top_n: int = 5,
    kol_confident_below: float = 0.25,
) -> dict[str, Figures]:
    """Figures per cause (complaint category) for the negative mentions of one brand."""
    groups: dict[str, list[MentionFacts]] = defaultdict(list)
    for m in in_window(mentions, now, window):
        if m.negative and m.brand == brand:
            groups[m.cause].append(m)
    return {cause: figures_for(brand, cause, ms, top_n, kol_confident_below) for cause, ms in groups.items()}


def hourly_negative_volume(mentions: Sequence[MentionFacts], now: datetime, hours: int) -> tuple[list[int], int]:
    """Negative volume in each of the last ``hours`` whole hours before ``now``, oldest
    first, and the number of negative posts in the last of those hours."""
    buckets = [0] * hours
    last_hour_posts = 0
    for m in mentions:
        if not m.negative:
            continue
        age = now - m.published_at
        if age.total_seconds() < 0:
            continue
        index = hours - 1 - int(age.total_seconds() // 3600)
        if 0 <= index < hours:
            buckets[index] += 1 + m.reposts
            last_hour_posts += index == hours - 1
    return buckets, last_hour_posts
