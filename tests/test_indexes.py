"""The evaluator's and the digest's queries are served by indexes on SQLite and on
PostgreSQL: every statement they send is captured and explained, and none reads a whole
table of mentions, snapshots or incidents."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import event

from monitor.clock import FixedClock
from monitor.db import make_engine, session_factory, session_scope
from monitor.digest import send_digests
from monitor.incidents import evaluate
from monitor.migrate import upgrade
from monitor.models import EngagementSnapshot, Incident, Mention

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
BIG_TABLES = ("mentions", "engagement_snapshots", "incidents", "incident_events")


def seed(factory, n: int = 3000) -> None:
    with session_scope(factory) as s:
        for i in range(n):
            at = NOW - timedelta(minutes=17 * i)  # about five weeks
            neg = i % 5 == 0
            s.add(Mention(source_id="w", external_id=str(i), text="手镯之家", author_name=f"u{i % 50}", author_followers=i,
                          author_verified=False, published_at=at, fetched_at=at, first_seen_at=at, reposts=i % 70,
                          comments=0, likes=0, language="zh", sentiment=0.1 if neg else 0.8, negative=neg,
                          category="product_quality" if neg else None, kol=False, priority=0.5, brand="shouzhuo"))
        s.flush()
        s.add(EngagementSnapshot(mention_id=1, taken_at=NOW, reposts=1, comments=0, likes=0))
        for i in range(40):
            at = NOW - timedelta(days=i)
            s.add(Incident(brand="shouzhuo", cause=f"c{i}", status="resolved", tier="yellow", opened_at=at, updated_at=at,
                           resolved_at=at + timedelta(hours=3), figures={}))


def captured(engine, work) -> list[tuple[str, object]]:
    """Every SELECT ``work`` sends (also one opening with a WITH), with its parameters."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def full_scans(engine, statements) -> list[str]:
    """The statements whose plan reads a big table from end to end."""
    bad = []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            # Tiny test tables make a sequential scan the cheapest plan; forbid it to ask
            # whether an index *can* serve the query, which is what matters at scale.
            cur.execute("SET enable_seqscan = off")
        for statement, params in statements:
            if not any(re.search(rf"\b{t}\b", statement) for t in BIG_TABLES):
                continue
            if engine.dialect.name == "sqlite":
                cur.execute("EXPLAIN QUERY PLAN " + statement, params)
                plan = [row[-1] for row in cur.fetchall()]
                scans = [p for p in plan if re.fullmatch(rf"SCAN ({'|'.join(BIG_TABLES)})( AS \w+)?", p)]
            else:
                cur.execute("EXPLAIN " + statement, params)
                plan = [row[0] for row in cur.fetchall()]
                scans = [p for p in plan if re.search(rf"Seq Scan on ({'|'.join(BIG_TABLES)})\b", p)]
            if scans:
                bad.append(f"{scans} <- {statement[:300]}")
    finally:
        raw.close()
    return bad


def test_evaluation_and_digest_queries_are_served_by_indexes(config_factory, db_url, tmp_path):
    cfg = config_factory(db_url, f"digest: {{dir: {tmp_path / 'dg'}}}\nincidents: {{spike: {{enabled: true}}}}\n")
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    seed(factory)

    def work() -> None:
        with session_scope(factory) as s:
            evaluate(s, cfg, NOW)
        send_digests(cfg, factory, FixedClock(NOW), day=date(2026, 3, 31), send=False)

    statements = captured(engine, work)
    assert len(statements) >= 5  # the capture saw the work
    # The evaluator's aggregate queries are among them: the totals by cause, the ranking
    # and the spike's hourly volumes.
    assert any("row_number() OVER" in st for st, _ in statements)
    assert any(st.lstrip().upper().startswith("WITH") and "GROUP BY" in st for st, _ in statements)
    assert full_scans(engine, statements) == []
    engine.dispose()
