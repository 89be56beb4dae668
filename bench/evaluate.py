"""Evaluation-cycle time with a busy window, on SQLite and PostgreSQL, optionally against
another checkout of repmon side by side.

    python bench/evaluate.py [--rows 1000000] [--recent 80000] [--only sqlite|postgres]
                             [--against /work/main] [--rounds 2] [--cycles 4]
                             [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

The stored set is bench/scale.py's: ``--rows`` mentions spread over the 30 days before now
(one brand, 10% negative, a few with heavy reposts), plus ``--recent`` mentions crawled in
the last hour, half of them complaints (quality, logistics) — what scale.py's ingest passes
add — so the defaults hold about 113,000 mentions in the 24 h window, some 43,000 of them
negative. ``--rows 300000 --recent 103000`` holds as many in the window and loads faster.

A cycle is the service's own (``evaluate_and_enqueue``). Each timing runs in a child
process on the same loaded database, incidents and outbox emptied first: the first cycle
(cold, opens the incidents) and the median of the next ones. With ``--against``, the
other checkout's code is timed the same way, alternating (this, other, other, this, ...)
so that a change in the load of a shared machine weighs on both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A child times the code of the checkout named here (see --against), not this one.
CODE = os.environ.get("REPMON_BENCH_CODE") or str(ROOT)
sys.path.insert(0, CODE)

from sqlalchemy import func, insert, select, text  # noqa: E402

from monitor.db import make_engine  # noqa: E402
from monitor.models import Mention  # noqa: E402
from tests.support.pg import fresh_schema  # noqa: E402

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
CATS = ["product_quality", "logistics", "after_sales", "price", "website", "order_error", "other"]
BATCH = 20_000
CONFIG = "database: {{url: '{url}'}}\nbrands:\n  - {{id: s, name: 手镯之家, keywords: {{any: [手镯之家]}}}}\n"


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _row(i: int, at: datetime, neg: bool, category: str | None, reposts: int, rnd: random.Random) -> dict:
    return dict(
        source_id="bench", external_id=str(i), url=f"https://m.weibo.cn/detail/{i}", text=f"手镯之家 bench mention #{i}",
        author_id=str(i % 5000), author_name=f"u{i % 5000}", author_followers=rnd.randint(10, 50_000), author_verified=False,
        published_at=at, fetched_at=at, first_seen_at=at, reposts=reposts, comments=rnd.randint(0, 3) if neg else 0,
        likes=rnd.randint(0, 9) if neg else 0, language="zh", sentiment=rnd.uniform(0.02, 0.4) if neg else 0.8,
        negative=neg, polarity="negative" if neg else "positive", category=category,
        kol=neg and rnd.random() < 0.001, priority=round(rnd.uniform(0, 3), 2) if neg else 0.1, brand="s",
    )


def fill(engine, rows: int, recent: int) -> None:
    """``rows`` mentions over 30 days, then ``recent`` crawled in the last hour."""
    rnd = random.Random(7)
    t0 = time.perf_counter()
    batch: list[dict] = []
    for i in range(rows + recent):
        if i < rows:
            at = NOW - timedelta(seconds=rnd.randint(60, 30 * 86400))
            neg = rnd.random() < 0.10
            batch.append(_row(i, at, neg, rnd.choice(CATS) if neg else None,
                              rnd.choice([0, 0, 1, 2, 5, 80]) if neg else 0, rnd))
        else:
            # Like scale.py's ingest: four texts in turn, two of them complaints, few reposts.
            at = NOW - timedelta(seconds=rnd.randint(30, 3600))
            kind = i % 4
            neg = kind in (0, 2)
            batch.append(_row(i, at, neg, ("product_quality" if kind == 0 else "logistics") if neg else None, i % 9, rnd))
        if len(batch) == BATCH or i == rows + recent - 1:
            with engine.begin() as c:
                c.execute(insert(Mention), batch)
            batch.clear()
            progress(f"    loaded {i + 1:,}/{rows + recent:,} ({(i + 1) / (time.perf_counter() - t0):,.0f}/s)")
    with engine.connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()


def window_counts(engine) -> tuple[int, int]:
    with engine.connect() as c:
        total = c.scalar(select(func.count()).select_from(Mention).where(Mention.published_at > NOW - timedelta(hours=24)))
        neg = c.scalar(select(func.count()).select_from(Mention).where(
            Mention.published_at > NOW - timedelta(hours=24), Mention.negative.is_(True)))
    return int(total or 0), int(neg or 0)


# ---------------------------------------------------------------------------- the child


def time_cycles(url: str, cycles: int) -> dict:
    """Run ``cycles`` evaluation cycles (incidents and outbox emptied first): the timings."""
    from monitor.clock import FixedClock
    from monitor.config import parse_config
    from monitor.cycle import evaluate_and_enqueue
    from monitor.db import session_factory

    engine = make_engine(url)
    with engine.begin() as c:
        for table in ("outbox", "incident_events", "incidents"):
            c.execute(text(f"DELETE FROM {table}"))
    cfg = parse_config(CONFIG.format(url=url))
    factory = session_factory(engine)
    times, notes = [], 0
    for i in range(cycles):
        t = time.perf_counter()
        report = evaluate_and_enqueue(cfg, factory, FixedClock(NOW + timedelta(seconds=30 * i)))
        times.append(time.perf_counter() - t)
        notes += len(report.notifications)
    engine.dispose()
    return {"first": times[0], "median": statistics.median(times[1:] or times), "notifications": notes}


def child(code: str, url: str, cycles: int) -> dict:
    env = {**os.environ, "REPMON_BENCH_CODE": code, "PYTHONPATH": code}
    out = subprocess.run([sys.executable, __file__, "--child", url, "--cycles", str(cycles)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- the parent


def measure(name: str, url: str, args, codes: list[tuple[str, str]], results: list[dict]) -> None:
    from monitor.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    t = time.perf_counter()
    fill(engine, args.rows, args.recent)
    total, neg = window_counts(engine)
    engine.dispose()
    print(f"[{name}] stored {args.rows + args.recent:,} mentions in {time.perf_counter() - t:.0f} s; "
          f"{total:,} in the 24 h window, {neg:,} of them negative", flush=True)
    order = [c for k in range(args.rounds) for c in (codes if k % 2 == 0 else codes[::-1])]
    runs: dict[str, list[dict]] = {label: [] for label, _ in codes}
    for label, code in order:
        r = child(code, url, args.cycles)
        runs[label].append(r)
        print(f"[{name}] {label:<7} first {r['first'] * 1000:7,.0f} ms, median {r['median'] * 1000:7,.0f} ms "
              f"({r['notifications']} notification(s))", flush=True)
    for label, _ in codes:
        results.append({"db": name, "code": label, "window": total, "negative": neg,
                        "first": statistics.median(r["first"] for r in runs[label]),
                        "median": statistics.median(r["median"] for r in runs[label])})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="mentions over the 30 days before now")
    ap.add_argument("--recent", type=int, default=80_000, help="mentions crawled in the last hour, half negative")
    ap.add_argument("--cycles", type=int, default=4, help="cycles per timing: the first (cold) and the median of the rest")
    ap.add_argument("--rounds", type=int, default=2, help="timings per checkout, alternating")
    ap.add_argument("--against", default=None, help="another checkout of repmon to time side by side (e.g. /work/main)")
    ap.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(time_cycles(args.child, args.cycles)))
        return
    codes = [("this", str(ROOT))] + ([("against", str(Path(args.against).resolve()))] if args.against else [])
    print(f"evaluation bench: {args.rows:,} mentions over 30 days + {args.recent:,} in the last hour; "
          f"{args.cycles} cycles per timing, {args.rounds} timing(s) per checkout; "
          + "; ".join(f"{label} = {code}" for label, code in codes), flush=True)
    folder = Path(tempfile.mkdtemp(prefix="repmon-evalbench-"))
    results: list[dict] = []
    try:
        if args.only in (None, "sqlite"):
            measure("SQLite", f"sqlite:///{folder / 'eval.db'}", args, codes, results)
        if args.only in (None, "postgres"):
            with fresh_schema(args.pg, "repmon_evalbench_") as url:
                measure("PostgreSQL", url, args, codes, results)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("\nsummary (median over the timings; ms):")
    print(f"{'database':<11}{'code':<9}{'in window':>11}{'negative':>10}{'first':>9}{'cycle':>9}{'vs against':>12}")
    for r in results:
        other = next((o for o in results if o["db"] == r["db"] and o["code"] == "against"), None)
        ratio = f"{other['median'] / r['median']:.1f}x faster" if other and r["code"] == "this" else ""
        print(f"{r['db']:<11}{r['code']:<9}{r['window']:>11,}{r['negative']:>10,}{r['first'] * 1000:>9,.0f}"
              f"{r['median'] * 1000:>9,.0f}  {ratio}")


if __name__ == "__main__":
    main()
