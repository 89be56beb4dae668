"""Incident outcomes stay exactly what they were when the performance work began.

Faster ingest (batches), leaner scoring imports and aggregate evaluation queries must not
change a single outcome. These tests replay fixed scenarios and compare everything a PR
team would see (stored mentions and their scores, incidents with tier, trigger and figures,
their history, the outbox) with a record taken on the code before that work
(``tests/fixtures/golden/*.json``):

- the bundled demo through ``repmon run --once`` at three moments (opening, reminders and
  missed deadlines), then ``repmon backtest`` over it;
- a seeded synthetic day of three causes, KOLs and a spike, evaluated hour by hour by
  the backtest.

Database ids are replaced by external ids, so a different insert order is not a change.
A deliberate change of outcome regenerates the record: ``REPMON_WRITE_GOLDEN=1 pytest
tests/test_outcomes_golden.py`` (and say why in the commit).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.backtest import run_backtest
from monitor.cli import main
from monitor.config import load_config
from monitor.db import make_engine, session_factory, session_scope
from monitor.incidents import evaluate
from monitor.migrate import upgrade
from monitor.models import EngagementSnapshot, Incident, IncidentEvent, Mention, OutboxMessage

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "fixtures" / "golden"
WRITE = os.environ.get("REPMON_WRITE_GOLDEN") == "1"
SHIPPED_URL = "url: sqlite:///data/repmon.db"
DEMO_RUNS = ("2026-11-22T12:00:00+08:00", "2026-11-22T13:10:00+08:00", "2026-11-22T15:30:00+08:00")


def _check(name: str, actual: Any) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(actual, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n"
    if WRITE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(text) == expected


def _external(ids: dict[int, str], value: Any) -> Any:
    """The value with every mention id (``id`` of a post, ``top_ids``) replaced by its external id."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "id" and isinstance(v, int):
                out[k] = ids.get(v, f"?{v}")
            elif k.endswith("_ids") and isinstance(v, list):
                out[k] = [ids.get(i, f"?{i}") for i in v]
            else:
                out[k] = _external(ids, v)
        return out
    if isinstance(value, list):
        return [_external(ids, v) for v in value]
    return value


def _state(factory) -> dict[str, Any]:
    with session_scope(factory) as s:
        mentions = s.scalars(select(Mention).order_by(Mention.source_id, Mention.external_id)).all()
        ids = {m.id: f"{m.source_id}/{m.external_id}" for m in mentions}
        snaps: dict[str, list] = {}
        for sn in s.scalars(select(EngagementSnapshot).order_by(EngagementSnapshot.taken_at, EngagementSnapshot.id)):
            snaps.setdefault(ids[sn.mention_id], []).append([sn.taken_at.isoformat(), sn.reposts, sn.comments, sn.likes])
        incidents = s.scalars(select(Incident).order_by(Incident.opened_at, Incident.brand, Incident.cause)).all()
        inc_key = {i.id: f"{i.brand}/{i.cause}/{i.opened_at.isoformat()}" for i in incidents}
        events = s.scalars(select(IncidentEvent).order_by(IncidentEvent.at, IncidentEvent.id)).all()
        outbox = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return {
            "mentions": [
                {"id": ids[m.id], "brand": m.brand, "negative": m.negative, "polarity": m.polarity, "category": m.category,
                 "kol": m.kol, "priority": m.priority, "language": m.language, "sentiment": round(m.sentiment or 0.0, 9),
                 "counts": [m.reposts, m.comments, m.likes], "published_at": m.published_at.isoformat(),
                 "fetched_at": m.fetched_at.isoformat(), "first_seen_at": m.first_seen_at.isoformat(),
                 "author": [m.author_name, m.author_followers, m.author_verified]}
                for m in mentions
            ],
            "snapshots": snaps,
            "incidents": [
                {"key": inc_key[i.id], "tier": i.tier, "status": i.status, "trigger": i.trigger,
                 "last_evidence_at": i.last_evidence_at.isoformat() if i.last_evidence_at else None,
                 "figures": _external(ids, i.figures)}
                for i in incidents
            ],
            # Events of one instant may be written in either order (two databases differ).
            "events": sorted(
                ({"incident": inc_key[e.incident_id], "kind": e.kind, "at": e.at.isoformat(), "actor": e.actor,
                  "detail": _external(ids, e.detail)} for e in events),
                key=lambda e: (e["at"], e["incident"], e["kind"], json.dumps(e["detail"], sort_keys=True, default=str)),
            ),
            # Incident ids inside payloads are database ids of incidents, ordered like the keys.
            "outbox": sorted([o.kind, o.channel, o.status, o.idempotency_key.split(":", 2)[-1]] for o in outbox),
        }


def _backtest(result) -> dict[str, Any]:
    return {
        "opened": [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in o.items() if k != "id"}
                   for o in result.opened],
        "escalated": [[e["at"].isoformat(), e["from"], e["to"]] for e in result.escalated],
        "notifications": dict(sorted(result.notifications.items())),
        "hours": result.hours,
    }


@pytest.fixture
def demo_dir(tmp_path: Path, db_url: str) -> Path:
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    if not db_url.startswith("sqlite"):
        path = tmp_path / "config.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace(SHIPPED_URL, f'url: "{db_url}"'), encoding="utf-8")
    return tmp_path


def test_the_demo_ends_in_the_same_mentions_incidents_history_and_backtest(demo_dir: Path, monkeypatch):
    monkeypatch.chdir(demo_dir)
    config_path = str(demo_dir / "config.yaml")
    for now in DEMO_RUNS:
        result = CliRunner().invoke(main, ["run", "--once", "--now", now, "--config", config_path], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    config = load_config(config_path)
    engine = make_engine(config.database.url)
    factory = session_factory(engine)
    try:
        _check("demo_state", _state(factory))
        start = datetime(2026, 11, 21, 4, 0, tzinfo=timezone.utc)
        _check("demo_backtest", _backtest(run_backtest(config, factory, start, start + timedelta(hours=30))))
    finally:
        engine.dispose()


T0 = datetime(2026, 6, 1, 0, 0, tzinfo=timezone.utc)
CAUSE_TEXTS = {
    "product_quality": "手镯之家的手镯戴了两天就断裂了，质量太差",
    "logistics": "手镯之家的快递一个星期还没到，物流太慢了",
    "after_sales": "手镯之家的客服不理人，退款拖了一个月",
}


def _seed_synthetic(factory) -> None:
    """A day and a half: background noise of every cause, a logistics spike, a quality
    complaint whose reposts grow, and a KOL joining late."""
    rng = random.Random(16)
    with session_scope(factory) as s:
        n = 0
        for hour in range(36):
            for _ in range(rng.randint(2, 6) + (25 if 20 <= hour <= 23 else 0)):
                n += 1
                cause = "logistics" if 20 <= hour <= 23 else rng.choice(list(CAUSE_TEXTS))
                negative = rng.random() < (0.9 if 20 <= hour <= 23 else 0.3)
                published = T0 + timedelta(hours=hour, minutes=rng.randint(0, 59))
                followers = 900_000 if n % 97 == 0 else rng.randint(10, 50_000)
                reposts = rng.choice((0, 1, 2, 5, 12, 30))
                m = Mention(source_id="syn", external_id=f"s{n:05d}", text=f"{CAUSE_TEXTS[cause]} #{n}", published_at=published,
                            fetched_at=published + timedelta(minutes=20), first_seen_at=published + timedelta(minutes=10),
                            reposts=reposts, comments=rng.randint(0, 20), likes=rng.randint(0, 80), negative=negative,
                            polarity="negative" if negative else "neutral", category=cause if negative else None,
                            kol=followers >= 500_000, priority=rng.randint(0, 3), brand="shouzhuo",
                            sentiment=round(rng.random() * (0.3 if negative else 1.0), 4), author_name=f"u{n % 40}",
                            author_followers=followers, author_id=f"a{n % 40}")
                s.add(m)
                s.flush()
                s.add(EngagementSnapshot(mention_id=m.id, taken_at=m.first_seen_at, reposts=reposts, comments=m.comments,
                                         likes=m.likes))
        viral = Mention(source_id="syn", external_id="viral", text="手镯之家的手镯断裂了还拒绝退换，大家避雷", published_at=T0 + timedelta(hours=5),
                        fetched_at=T0 + timedelta(hours=12), first_seen_at=T0 + timedelta(hours=5, minutes=5), reposts=900,
                        comments=300, likes=2000, negative=True, polarity="negative", category="product_quality", kol=False,
                        priority=3, brand="shouzhuo", sentiment=0.02, author_name="顾客", author_followers=3000, author_id="v")
        s.add(viral)
        s.flush()
        for h, r in ((5.2, 8), (6.2, 40), (7.2, 120), (9.2, 600), (12, 900)):
            s.add(EngagementSnapshot(mention_id=viral.id, taken_at=T0 + timedelta(hours=h), reposts=r, comments=r // 3, likes=r * 2))
        kol = Mention(source_id="syn", external_id="kol", text="测评了手镯之家的售后，客服推诿，很失望", published_at=T0 + timedelta(hours=30),
                      fetched_at=T0 + timedelta(hours=30, minutes=30), first_seen_at=T0 + timedelta(hours=30, minutes=20),
                      reposts=3, comments=9, likes=40, negative=True, polarity="negative", category="after_sales", kol=True,
                      priority=3, brand="shouzhuo", sentiment=0.05, author_name="测评师", author_followers=800_000, author_id="k")
        s.add(kol)
        s.flush()
        s.add(EngagementSnapshot(mention_id=kol.id, taken_at=kol.first_seen_at, reposts=3, comments=9, likes=40))


def test_a_synthetic_day_opens_and_escalates_the_same_incidents_hour_by_hour(config_factory, db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    try:
        _seed_synthetic(factory)
        # The spike rule too, on a one-day baseline, so the logistics burst opens by volume.
        config = config_factory(db_url, "incidents: {spike: {enabled: true, multiple: 3, baseline_days: 1, min_volume: 20, min_posts: 5}}\n")
        _check("synthetic_backtest", _backtest(run_backtest(config, factory, T0, T0 + timedelta(hours=36))))
        # The live evaluator on the same rows, every hour: figures, top posts and history too.
        for hour in range(37):
            with session_scope(factory) as s:
                evaluate(s, config, T0 + timedelta(hours=hour))
        state = _state(factory)
        del state["mentions"], state["snapshots"]
        _check("synthetic_evaluation", state)
    finally:
        engine.dispose()
