"""Ingest throughput: a jsonl file of mentions through the real crawl (the jsonl spider,
normalise, brand match, dedupe, score, store), on SQLite and on PostgreSQL.

    python bench/ingest.py [--rows 100000] [--pg-url URL] [--skip-pg] [--skip-sqlite]

The file holds ``--rows`` lines: 10% negative posts, 20% re-crawls of an earlier post
(a later ``fetched_at`` and higher counts). Each database gets one crawl of the whole
file through :func:`crawlers.runner.crawl` (one crawl child, as ``repmon run --once``),
timed from the call to its result, start-up of the child included. PostgreSQL runs in
a schema of its own, dropped afterwards. Progress goes to stderr; the figures to stdout.

Targets (issue 16): >= 2,000 mentions/s on SQLite, >= 1,000 mentions/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from crawlers.runner import crawl  # noqa: E402
from monitor.config import parse_config  # noqa: E402
from monitor.db import session_scope  # noqa: E402
from monitor.migrate import open_database  # noqa: E402
from monitor.models import Mention  # noqa: E402
from tests.support.pg import fresh_schema  # noqa: E402

PG_URL = os.environ.get("REPMON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)

NEGATIVE = ["手镯之家的手镯戴了三天就断裂了，质量太差，要求退款", "手镯之家客服态度恶劣，投诉无门，骗子", "手镯之家发货太慢了，等了两周还没到，差评"]
OTHER = ["手镯之家的客服很耐心，推荐", "在手镯之家买的和田玉很好看，包装精美", "今天去了手镯之家的门店看看新款", "手镯之家的直播间又上新了"]


def write_jsonl(path: Path, rows: int, seed: int = 16) -> tuple[int, int]:
    """``rows`` mention lines: 10% negative, 20% re-crawls of an earlier id. Returns
    (distinct posts, re-crawl lines)."""
    rnd = random.Random(seed)
    first = NOW - timedelta(hours=20)
    posts = 0
    recrawls = 0
    with path.open("w", encoding="utf-8") as f:
        for i in range(rows):
            if posts and rnd.random() < 0.2:
                n = rnd.randrange(posts)
                recrawls += 1
                bump = 1 + i // 1000
            else:
                n = posts
                posts += 1
                bump = 0
            negative = n % 10 == 0
            text_ = (NEGATIVE if negative else OTHER)[n % 3 if negative else n % 4] + f" #{n}"
            published = first + timedelta(seconds=n * 72_000 / max(rows, 1))
            fetched = published + timedelta(minutes=5 + bump)
            f.write(json.dumps({
                "id": f"p{n}", "text": text_, "published_at": published.isoformat(), "fetched_at": fetched.isoformat(),
                "reposts": n % 97 + bump, "comments": n % 13 + bump, "likes": n % 31,
                "author": {"id": f"u{n % 5000}", "name": f"用户{n % 5000}", "followers": n * 7 % 200_000},
            }, ensure_ascii=False) + "\n")
    return posts, recrawls


def _progress(factory, total: int, stop: threading.Event, started: float) -> None:
    """Stored mentions so far, every 2 s, on stderr."""
    while not stop.wait(2.0):
        try:
            with session_scope(factory) as s:
                n = s.scalar(select(func.count()).select_from(Mention)) or 0
        except Exception:  # the database is busy being written; try again next tick
            continue
        print(f"    {time.perf_counter() - started:6.1f} s: {n:,} of {total:,} posts stored", file=sys.stderr)


def run(db_url: str, data: Path, folder: Path, posts: int) -> dict[str, float]:
    cfg = parse_config(
        f"database: {{url: '{db_url}'}}\n"
        "brands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n"
        f"sources:\n  - {{id: bench, kind: jsonl, path: '{data}'}}\n", base_dir=folder)
    engine, factory = open_database(cfg)
    stop = threading.Event()
    started = time.perf_counter()
    watcher = threading.Thread(target=_progress, args=(factory, posts, stop, started), daemon=True)
    watcher.start()
    try:
        [result] = crawl(cfg, cfg.sources, now=NOW)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        watcher.join()
    with session_scope(factory) as s:
        stored = s.scalar(select(func.count()).select_from(Mention)) or 0
    engine.dispose()
    if not result.ok:
        raise SystemExit(f"the crawl failed: {result.error}")
    if stored != posts or result.items != result.new + result.updated + result.unchanged + result.dropped:
        raise SystemExit(f"figures do not add up: {stored} stored of {posts}; {result}")
    return {"seconds": elapsed, "items": result.items, "new": result.new, "updated": result.updated,
            "unchanged": result.unchanged, "dropped": result.dropped, "per_s": result.items / elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--pg-url", default=PG_URL)
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    data = folder / "mentions.jsonl"
    posts, recrawls = write_jsonl(data, args.rows)
    print(f"{args.rows:,} lines ({posts:,} posts, {recrawls:,} re-crawls), one crawl each, start-up included")
    results = {}
    if not args.skip_sqlite:
        print("  SQLite ...", file=sys.stderr)
        results["SQLite"] = run(f"sqlite:///{folder / 'bench.db'}", data, folder, posts)
    if not args.skip_pg:
        print("  PostgreSQL (one worker) ...", file=sys.stderr)
        with fresh_schema(args.pg_url, "bench_ingest_") as url:
            results["PostgreSQL"] = run(url, data, folder, posts)
    print(f"{'database':<12}{'seconds':>9}{'mentions/s':>12}{'new':>9}{'updated':>9}{'unchanged':>11}{'dropped':>9}")
    for name, r in results.items():
        print(f"{name:<12}{r['seconds']:>9.1f}{r['per_s']:>12.0f}{r['new']:>9}{r['updated']:>9}{r['unchanged']:>11}"
              f"{r['dropped']:>9}")


if __name__ == "__main__":
    main()
