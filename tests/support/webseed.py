"""A database with a red incident, mentions and a digest, for the console's tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from monitor.clock import FixedClock
from monitor.config import parse_config
from monitor.db import make_engine, session_factory, session_scope
from monitor.digest import send_digests
from monitor.incidents import evaluate
from monitor.migrate import upgrade
from monitor.models import Mention

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
TOKEN = "test-token-123456"
HOSTILE = '<script>document.title="pwned"</script>手镯之家的手镯断裂了<img src=x onerror=alert(1)>'


def seeded(tmp_path: Path, db_url: str | None = None, second_brand: bool = False):
    """The console's test database; with ``second_brand``, the config also has the brand
    ``acme`` and the source ``forum`` (no mentions of theirs are added here)."""
    url = db_url or f"sqlite:///{tmp_path / 'web.db'}"
    more_brands = "  - {id: acme, name: Acme, keywords: {any: [acme]}}\n" if second_brand else ""
    more_sources = "  - {id: forum, kind: jsonl, path: y.jsonl}\n" if second_brand else ""
    cfg = parse_config(
        f"database: {{url: '{url}'}}\n"
        "brands:\n  - {id: shouzhuo, name: 手镯之家, keywords: {any: [手镯之家]}}\n" + more_brands +
        "sources:\n  - {id: demo, kind: jsonl, path: x.jsonl}\n" + more_sources +
        f"digest: {{dir: {tmp_path / 'digests'}}}\n"
        "channels:\n  c: {kind: console}\nroutes: {red: [c], yellow: [c], orange: [c]}\n"
        + ("scoring: {categories: {product_quality: [断裂], logistics: [快递], after_sales: [客服], price: [价格]}}\n"
           if second_brand else "scoring: {categories: {product_quality: [断裂]}}\n"),
        base_dir=tmp_path, env={})
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    with session_scope(factory) as s:
        for i in range(60):
            s.add(Mention(source_id="demo", external_id=f"w{i}", text=HOSTILE if i == 0 else f"手镯之家 第{i}条 断裂",
                          url=f"https://weibo.example/{i}", author_name="珠宝测评师老王" if i == 0 else f"网友{i}",
                          author_followers=860_000 if i == 0 else 100, published_at=T0 - timedelta(minutes=i),
                          fetched_at=T0, first_seen_at=T0, reposts=300 if i == 0 else 1, comments=2, likes=3,
                          sentiment=0.05 if i % 2 == 0 else 0.8, negative=i % 2 == 0, category="product_quality" if i % 2 == 0 else None,
                          kol=i == 0, brand="shouzhuo", language="zh", priority=0.5))
    with session_scope(factory) as s:
        [iid] = evaluate(s, cfg, T0 + timedelta(minutes=5)).opened
    send_digests(cfg, factory, FixedClock(T0 + timedelta(days=1)), day=date(2026, 3, 10), brand_id="shouzhuo", send=False)
    return cfg, factory, engine, iid
