from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from monitor.backtest import run_backtest
from monitor.db import make_engine, session_factory, session_scope
from monitor.migrate import upgrade
from monitor.models import EngagementSnapshot, Incident, Mention, OutboxMessage

T0 = datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)


def seed(factory):
    """A complaint whose reposts grow 10 -> 60 -> 700 over three hours."""
    with session_scope(factory) as s:
        m = Mention(source_id="t", external_id="1", text="手镯之家的手镯断裂了", published_at=T0, fetched_at=T0 + timedelta(hours=3),
                    first_seen_at=T0 + timedelta(minutes=10), reposts=700, comments=0, likes=0, negative=True,
                    category="product_quality", kol=False, brand="shouzhuo", sentiment=0.1)
        s.add(m)
        s.flush()
        for h, r in ((0.2, 10), (1.2, 60), (2.2, 700)):
            s.add(EngagementSnapshot(mention_id=m.id, taken_at=T0 + timedelta(hours=h), reposts=r, comments=0, likes=0))


def test_backtest_replays_growth_hour_by_hour_and_touches_nothing(config_factory, db_url):
    url = db_url
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    seed(factory)
    cfg = config_factory(url)
    result = run_backtest(cfg, factory, T0, T0 + timedelta(hours=5))
    assert [(o["at"], o["tier"]) for o in result.opened] == [(T0 + timedelta(hours=2), "yellow")]
    assert [(e["at"], e["to"]) for e in result.escalated] == [(T0 + timedelta(hours=3), "red")]
    assert result.notifications["alert"] == 1 and result.notifications["escalation"] == 1
    stricter = config_factory(url, "incidents: {repost_threshold: 1000}\n")
    assert run_backtest(stricter, factory, T0, T0 + timedelta(hours=5)).opened == []
    with session_scope(factory) as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    engine.dispose()
