"""Evaluation time for one cycle with N stored mentions (default 1,000,000) in SQLite.

    python bench/evaluate.py [--rows 1000000] [--db /tmp/repmon-bench.db]

Mentions are spread over 30 days for one brand, 10% negative, a few with heavy reposts,
so the last 24 h window holds ~33,000 mentions and opens real incidents.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402

from monitor.config import parse_config  # noqa: E402
from monitor.db import make_engine, session_factory, session_scope  # noqa: E402
from monitor.incidents import evaluate  # noqa: E402
from monitor.migrate import upgrade  # noqa: E402
from monitor.models import Mention  # noqa: E402

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
CATS = ["product_quality", "logistics", "after_sales", "price", "website", "order_error", "other"]


def fill(engine, rows: int) -> None:
    rnd = random.Random(7)
    batch, done, t0 = [], 0, time.monotonic()
    with engine.begin() as c:
        for i in range(rows):
            at = NOW - timedelta(seconds=rnd.randint(0, 30 * 86400))
            neg = rnd.random() < 0.10
            batch.append(dict(
                source_id="bench", external_id=str(i), url=None, text="手镯之家 bench mention", author_id=None,
                author_name=f"u{i % 5000}", author_followers=rnd.randint(10, 50_000), author_verified=False,
                published_at=at, fetched_at=at, first_seen_at=at, reposts=rnd.choice([0, 0, 1, 2, 5, 80]) if neg else 0,
                comments=0, likes=0, language="zh", sentiment=0.1 if neg else 0.8, negative=neg,
                category=rnd.choice(CATS) if neg else None, kol=neg and rnd.random() < 0.001, priority=0.5, brand="shouzhuo",
            ))
            if len(batch) == 20_000:
                c.execute(insert(Mention), batch)
                done += len(batch)
                batch.clear()
                print(f"\r  loaded {done:,}/{rows:,} ({done / (time.monotonic() - t0):,.0f}/s)", end="", file=sys.stderr)
        if batch:
            c.execute(insert(Mention), batch)
    print(file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", default="/tmp/repmon-bench-eval.db")
    ap.add_argument("--cycles", type=int, default=5)
    args = ap.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(args.db + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{args.db}"
    engine = make_engine(url)
    upgrade(engine)
    t = time.monotonic()
    fill(engine, args.rows)
    print(f"stored {args.rows:,} mentions in {time.monotonic() - t:.1f} s")
    with engine.connect() as c:
        c.execute(text("ANALYZE"))
    cfg = parse_config(f"database: {{url: '{url}'}}\nbrands:\n  - {{id: shouzhuo, name: 手镯之家, keywords: {{any: [手镯之家]}}}}\n")
    factory = session_factory(engine)
    times = []
    for i in range(args.cycles):
        t = time.monotonic()
        with session_scope(factory) as s:
            report = evaluate(s, cfg, NOW + timedelta(minutes=i))
        times.append(time.monotonic() - t)
        print(f"  cycle {i + 1}: {times[-1] * 1000:.0f} ms, {len(report.notifications)} notification(s)")
    print(f"evaluation cycle with {args.rows:,} stored mentions: first {times[0] * 1000:.0f} ms, "
          f"median of the rest {statistics.median(times[1:] or times) * 1000:.0f} ms")
    size = sum(Path(args.db + s).stat().st_size for s in ("", "-wal") if Path(args.db + s).exists())
    print(f"database size: {size / 1e6:.0f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
