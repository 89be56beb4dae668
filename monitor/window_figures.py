"""A brand's figures over its sliding window, computed by the database.

Per cause the evaluator needs three numbers (negative posts, their reposts, the latest
publication) and a handful of rows (the top posts, the KOL posts, the most reposted one)
out of what may be 100,000 mentions in the window. Loading the window to compute them in
Python cost about a second a cycle at that size. Here two queries per brand do it, read
from the negative-window index alone (``ix_mentions_negative_window`` holds every column
they need): one groups the window by cause for the totals, one ranks it (a single sort) so
that only the ids of the rows the figures can name leave the database; those rows are then
read by id, and ``monitor.figures.figures_from`` assembles them (tests/test_window_figures.py
holds the result to the figures computed from every mention of the window). The spike trigger's hourly volumes are one grouped
query per brand over the baseline.

A cause whose incident the team resolved counts only talk that is new since then
(published or first found after the resolution): the posts the closed incident covered
must neither open it again nor raise the next one's tier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, column, func, or_, select, text, values
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from monitor.db import UTCDateTime
from monitor.figures import OTHER, Figures, MentionFacts, Totals, figures_from, hourly_from_ages
from monitor.models import Mention

# The columns of MentionFacts, in the order of its fields.
FACT_COLUMNS = (
    Mention.id, Mention.brand, Mention.category, Mention.negative, Mention.published_at, Mention.reposts,
    Mention.comments, Mention.likes, Mention.kol, Mention.text, Mention.url, Mention.author_name,
    Mention.author_followers, Mention.source_id, Mention.sentiment, Mention.priority, Mention.first_seen_at,
)


def cause_of() -> ColumnElement[str]:
    """MentionFacts.cause in SQL: the category, or 'other' when it is missing or empty."""
    return func.coalesce(func.nullif(Mention.category, ""), OTHER)


def counted(brand: str, since: datetime, until: datetime,
            resolved_at: Mapping[str, datetime]) -> list[ColumnElement[bool]]:
    """The negative mentions of ``brand`` published in (since, until] that count: for a
    cause in ``resolved_at``, only those new since its resolution."""
    where = [Mention.brand == brand, Mention.negative.is_(True), Mention.published_at > since,
             Mention.published_at <= until]
    if resolved_at:
        cause = cause_of()
        where.append(or_(
            cause.not_in(list(resolved_at)),
            *(and_(cause == c, or_(Mention.published_at > at, Mention.first_seen_at > at)) for c, at in resolved_at.items()),
        ))
    return where


def most_reposted_key(dialect: str) -> tuple[ColumnElement[Any], Callable[[Any], int]]:
    """An aggregate of the pair (reposts, id) whose MAX names the most reposted post (the
    latest id on a tie, as ``max(..., key=(reposts, id))``), and how to read its id.

    PostgreSQL compares arrays element by element; SQLite has none, so the pair becomes
    fixed-width digits, which compare alike in every collation (counts are never negative).
    """
    if dialect == "postgresql":
        return func.max(postgresql.array([Mention.reposts, Mention.id])), lambda key: int(key[1])
    return func.max(func.printf("%020d%020d", Mention.reposts, Mention.id)), lambda key: int(key[20:])


def window_figures(session: Session, brand: str, now: datetime, window: timedelta, top_n: int = 5,
                   kol_confident_below: float = 0.25,
                   resolved_at: Mapping[str, datetime] | None = None) -> dict[str, Figures]:
    """Figures per cause of the negative mentions of ``brand`` published in (now - window, now]."""
    dialect = session.get_bind().dialect.name
    cause = cause_of()
    where = counted(brand, now - window, now, resolved_at or {})
    key, id_of = most_reposted_key(dialect)
    totals: dict[str, Totals] = {}
    wanted: set[int] = set()
    for c, n, reposts, last, most in session.execute(
        select(cause, func.count(), func.sum(Mention.reposts), func.max(Mention.published_at), key)
        .where(*where).group_by(cause)
    ):
        totals[c] = Totals(int(n), int(reposts), last)
        wanted.add(id_of(most))
    if not totals:
        return {}
    partition = cause
    if dialect == "postgresql":
        # The ranking sorts the whole window: in memory, not in a temporary file (the
        # default work_mem spills a window of 50,000 negative posts to disk), and by the
        # bytes of the cause, not by the locale's collation (a third of the sort's time).
        session.execute(text("SET LOCAL work_mem = '32MB'"))
        partition = cause.collate("C")
    by_rank = (func.coalesce(Mention.priority, -1.0).desc(), (Mention.reposts + Mention.comments + Mention.likes).desc(),
               Mention.reposts.desc(), Mention.published_at.desc(), Mention.id.desc())
    ranked = select(
        Mention.id.label("id"),
        Mention.kol.label("kol"),
        func.row_number().over(partition_by=partition, order_by=by_rank).label("rank"),
    ).where(*where).subquery("ranked")
    # Only the rows the figures can name leave the database: the first top_n by rank, the
    # most reposted, and every KOL post (each is a trigger and a name in the alert). They
    # are read by id after the ranking, so no plan joins the ranking to the whole table.
    wanted.update(session.scalars(select(ranked.c.id).where(or_(ranked.c.rank <= top_n, ranked.c.kol.is_(True)))))
    candidates: dict[str, list[MentionFacts]] = defaultdict(list)
    for facts in session.execute(select(*FACT_COLUMNS).where(Mention.id.in_(sorted(wanted)))):
        m = MentionFacts(*facts)
        candidates[m.cause].append(m)
    return {c: figures_from(brand, c, t, candidates[c], top_n, kol_confident_below) for c, t in totals.items()}


def hourly_volumes(session: Session, brand: str, causes: Collection[str], now: datetime, hours: int,
                   resolved_at: Mapping[str, datetime] | None = None) -> dict[str, tuple[list[int], int]]:
    """Per cause in ``causes``: the negative volume in each of the last ``hours`` whole hours
    before ``now``, oldest first, and the negative posts in the last of them."""
    if not causes:
        return {}
    # An hour of age k holds (now - (k+1) h, now - k h]; the bounds are compared as stored,
    # so a post on a boundary falls in the same hour as in Python.
    ages = values(column("age", Integer), column("lo", UTCDateTime()), column("hi", UTCDateTime()), name="ages").data(
        [(k, now - timedelta(hours=k + 1), now - timedelta(hours=k)) for k in range(hours)]
    ).cte("ages")
    cause = cause_of()
    rows = session.execute(
        select(cause, ages.c.age, func.count(), func.sum(Mention.reposts))
        .select_from(ages)
        .join(Mention, and_(Mention.published_at > ages.c.lo, Mention.published_at <= ages.c.hi))
        .where(*counted(brand, now - timedelta(hours=hours), now, resolved_at or {}), cause.in_(list(causes)))
        .group_by(cause, ages.c.age)
    ).all()
    by_cause: dict[str, dict[int, tuple[int, int]]] = {c: {} for c in causes}
    for c, age, posts, reposts in rows:
        by_cause[c][int(age)] = (int(posts), int(reposts))
    return {c: hourly_from_ages(by_age, hours) for c, by_age in by_cause.items()}
