"""The evaluator's figures from the database equal the figures computed in Python from
every mention of the window (``tests/support/window_reference.py``, the definition), on random data made
to hit the edges: ties of rank and reposts, missing priorities and sentiments, KOL posts
on both sides of the confidence cut, empty and missing categories, posts exactly on the
window's and the hours' boundaries, late finds of old posts after a resolution."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select

from monitor.db import make_engine, session_factory, session_scope
from monitor.figures import MentionFacts
from monitor.migrate import upgrade
from monitor.models import Mention
from monitor.window_figures import FACT_COLUMNS, hourly_volumes, window_figures
from tests.support.window_reference import figures_by_cause, hourly_negative_volume

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
CATEGORIES = ["product_quality", "logistics", "other", "", None]
ROUNDS = 25


def _random_mentions(rnd: random.Random, n: int) -> list[Mention]:
    rows = []
    for i in range(n):
        # Whole hours and minutes before now, so many posts sit exactly on a boundary.
        published = NOW - timedelta(hours=rnd.randint(-1, 30), minutes=rnd.choice((0, 0, 30, 59)),
                                    seconds=rnd.choice((-1, 0, 0, 1)))
        late = rnd.random() < 0.2
        rows.append(Mention(
            source_id="r", external_id=str(i), text=f"post {i}", url=None, author_name=rnd.choice(("a", "b", None)),
            author_followers=rnd.choice((None, 10, 900_000)), author_verified=False, published_at=published,
            fetched_at=published, first_seen_at=published + timedelta(hours=rnd.randint(1, 20) if late else 0),
            reposts=rnd.choice((0, 0, 1, 3, 60)), comments=rnd.choice((0, 0, 2)), likes=rnd.choice((0, 0, 1)),
            language="zh", sentiment=rnd.choice((None, 0.05, 0.2, 0.25, 0.3)), negative=rnd.random() < 0.7,
            category=rnd.choice(CATEGORIES), kol=rnd.random() < 0.15, priority=rnd.choice((None, 1.0, 1.0, 2.25)),
            brand=rnd.choice(("b1", "b1", "b2")),
        ))
    return rows


def _loaded(session, brand: str) -> list[MentionFacts]:
    """Every negative mention of the brand, as the evaluator loaded them before."""
    return [MentionFacts(*r) for r in session.execute(
        select(*FACT_COLUMNS).where(Mention.brand == brand, Mention.negative.is_(True)))]


def _expected(facts, now, window, top_n, below, resolved_at):
    """Figures the way the evaluator computed them from loaded mentions."""
    figs = figures_by_cause("b1", facts, now, window, top_n, below)
    for cause, at in resolved_at.items():
        if cause in figs:
            kept = figures_by_cause("b1", [m for m in facts if m.cause == cause and m.new_since(at)], now, window,
                                    top_n, below).get(cause)
            if kept is None:
                del figs[cause]
            else:
                figs[cause] = kept
    return figs


def test_figures_from_the_database_equal_figures_from_every_mention_of_the_window(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    rnd = random.Random(16)
    compared = 0
    try:
        for _ in range(ROUNDS):
            with session_scope(factory) as s:
                s.execute(delete(Mention))
                s.add_all(_random_mentions(rnd, rnd.randint(0, 120)))
            now = NOW - timedelta(minutes=rnd.choice((0, 0, 30)))
            window = timedelta(hours=rnd.choice((1, 6, 24)))
            top_n, below = rnd.choice((1, 3, 5)), rnd.choice((0.25, 0.3))
            resolved = rnd.sample(["product_quality", "other"], rnd.randint(0, 2))
            resolved_at = {c: now - timedelta(hours=rnd.randint(0, 5)) for c in resolved}
            with session_scope(factory) as s:
                facts = _loaded(s, "b1")
                expected = _expected(facts, now, window, top_n, below, resolved_at)
                assert window_figures(s, "b1", now, window, top_n, below, resolved_at) == expected
                hours = rnd.choice((2, 25))
                series = hourly_volumes(s, "b1", list(expected), now, hours, resolved_at)
                for cause in expected:
                    counted = [m for m in facts if m.cause == cause
                               and (cause not in resolved_at or m.new_since(resolved_at[cause]))
                               and now - timedelta(hours=hours) < m.published_at <= now]
                    assert series[cause] == hourly_negative_volume(counted, now, hours)
            compared += len(expected)
    finally:
        engine.dispose()
    assert compared > ROUNDS  # the rounds had figures to compare, not only empty windows
