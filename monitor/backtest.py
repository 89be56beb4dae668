"""Backtest: replay stored mentions through the evaluator hour by hour, sending nothing.

Each hour, the replay database holds the mentions as they were known then: only posts
already seen, with the engagement counts of their latest snapshot at that time. The
evaluator runs on it with the current thresholds, in an in-memory SQLite database, so
the real incidents and outbox are untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.config import Config
from monitor.db import make_engine, session_factory, session_scope
from monitor.incidents import evaluate
from monitor.migrate import upgrade
from monitor.models import EngagementSnapshot, Incident, Mention

COPIED = [c.key for c in Mention.__table__.columns if c.key != "id"]


@dataclass
class BacktestResult:
    opened: list[dict] = field(default_factory=list)  # {id, brand, cause, tier, at, trigger}
    escalated: list[dict] = field(default_factory=list)  # {id, at, from, to}
    notifications: Counter = field(default_factory=Counter)  # by kind
    hours: int = 0

    @property
    def total_notifications(self) -> int:
        return sum(self.notifications.values())


def run_backtest(config: Config, source: sessionmaker[Session], start: datetime, end: datetime,
                 progress: Callable[[int, int], None] | None = None) -> BacktestResult:
    """Replay [start, end] hour by hour; nothing is written to the real database or sent."""
    lookback = config.incidents.window + timedelta(days=config.incidents.spike.baseline_days if config.incidents.spike.enabled else 0)
    with session_scope(source) as s:
        mentions = s.scalars(
            select(Mention).where(Mention.published_at > start - lookback, Mention.published_at <= end, Mention.negative.is_(True))
        ).all()
        snaps: dict[int, list[tuple[datetime, int, int, int]]] = {}
        for sn in s.scalars(select(EngagementSnapshot).where(EngagementSnapshot.mention_id.in_([m.id for m in mentions]))):
            snaps.setdefault(sn.mention_id, []).append((sn.taken_at, sn.reposts, sn.comments, sn.likes))
        rows = [{k: getattr(m, k) for k in COPIED} | {"id": m.id} for m in mentions]
    for v in snaps.values():
        v.sort()
    engine = make_engine("sqlite://")
    upgrade(engine)
    replay = session_factory(engine)
    result = BacktestResult()
    total = int((end - start) / timedelta(hours=1)) + 1
    at = start
    step = 0
    while at <= end:
        with session_scope(replay) as s:
            _load_state(s, rows, snaps, at)
            report = evaluate(s, config, at)
            for iid in report.opened:
                inc = s.get(Incident, iid)
                result.opened.append({"id": iid, "brand": inc.brand, "cause": inc.cause, "tier": inc.tier, "at": at,
                                      "trigger": inc.trigger})
            for iid, before, after in report.escalated:
                result.escalated.append({"id": iid, "at": at, "from": before, "to": after})
            result.notifications.update(n.kind for n in report.notifications)
        step += 1
        result.hours = step
        if progress:
            progress(step, total)
        at += timedelta(hours=1)
    engine.dispose()
    return result


def _load_state(s: Session, rows: list[dict], snaps: dict, at: datetime) -> None:
    """Make the replay database hold every mention as known at ``at``."""
    existing = {m.id: m for m in s.scalars(select(Mention))}
    for row in rows:
        if row["first_seen_at"] > at or row["published_at"] > at:
            continue
        counts = None
        for taken, r, c, l in snaps.get(row["id"], []):
            if taken <= at:
                counts = (r, c, l)
        r, c, l = counts if counts else (row["reposts"], row["comments"], row["likes"])
        m = existing.get(row["id"])
        if m is None:
            s.add(Mention(**{**row, "reposts": r, "comments": c, "likes": l}))
        else:
            m.reposts, m.comments, m.likes = r, c, l
