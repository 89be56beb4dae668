"""Sizing figures for SQLite and PostgreSQL with N stored mentions (default 1,000,000):
ingest rate through the real pipeline with one and with two workers, evaluation-cycle
time, digest time and database size.

    python bench/scale.py [--rows 1000000[,3000000]] [--ingest 20000] [--repeat 2] [--only sqlite|postgres]
                          [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/0]

For each database and each size in ``--rows`` (sizes are cumulative: ``1000000,3000000``
measures at one million, then loads two million more and measures again):

1. **Bulk load** the stored mentions straight into the tables (one engagement snapshot
   each, as the pipeline stores them), spread over the 30 days before now, one brand,
   10% negative. Loading millions through the pipeline would take hours.
2. **Ingest** ``--ingest`` new mentions served by a local weibo-like server, crawled by
   ``repmon worker`` processes (scrapy-redis, the real spiders and pipelines: normalise,
   match, dedupe, score, store) into the same, full tables — so the indexes are at full
   size — with one worker and with two, in alternating passes (1, 2, 2, 1 with the
   default ``--repeat 2``) so that a change in the load of a shared machine weighs on
   both alike. The rate of a pass is the rows stored between two
   timestamps in the steady part of the run (from 10% to 90% of the rows), so worker
   start-up, the first page and the tail are not counted.
3. **Evaluation cycle**: the service's own cycle (``evaluate_and_enqueue``) at now; the
   first (cold, opens incidents) and the median of the next three.
4. **Digest**: yesterday's digest page for the brand (queries and HTML), not sent.
5. **Size** of the database (SQLite file with its WAL; PostgreSQL tables with indexes and TOAST).

Every figure is printed as soon as it is measured (stdout), progress goes to stderr, and
a summary table follows at the end. Each run works in its own temporary folder, its own
PostgreSQL schema and its own Redis key prefix, all removed at the end, also on Ctrl-C,
SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import case, func, insert, select, text  # noqa: E402

from crawlers.distributed import redis_client, seed_round  # noqa: E402
from monitor.clock import FixedClock  # noqa: E402
from monitor.config import Config, load_config  # noqa: E402
from monitor.cycle import evaluate_and_enqueue  # noqa: E402
from monitor.db import make_engine, session_factory, session_scope  # noqa: E402
from monitor.digest import send_digests  # noqa: E402
from monitor.migrate import upgrade  # noqa: E402
from monitor.models import EngagementSnapshot, Mention  # noqa: E402
from tests.support.pg import fresh_schema  # noqa: E402

BIN = Path(sys.executable).with_name("repmon")
PER_PAGE = 50
KEYWORDS = 8
BATCH = 20_000
STEADY = (0.10, 0.90)  # the part of an ingest pass its rate is measured over
STALL_SECONDS = 120  # an ingest pass with no new row for this long is given up
TEXTS = ["手镯之家的手镯戴了三天就断裂了，质量太差", "手镯之家客服很耐心，好评", "手镯之家快递太慢了", "在手镯之家买的和田玉很好看"]
CATS = ["product_quality", "logistics", "after_sales", "price", "website", "order_error", "other"]


def say(line: str) -> None:
    """A measured figure: printed at once, so a later crash loses nothing already measured."""
    print(line, flush=True)


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- the source


def page_server(pages: int, run: str) -> ThreadingHTTPServer:
    """A weibo-like search API: ``pages`` pages of ``PER_PAGE`` posts per keyword, ids unique
    to this pass so every ingest stores new mentions, not updates of an earlier pass's."""
    from urllib.parse import parse_qs, urlparse

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            qs = parse_qs(urlparse(self.path).query)
            page = int(qs["page"][0])
            keyword = parse_qs(qs["containerid"][0]).get("q", ["?"])[0]
            cards = [{"card_type": 9, "mblog": {"id": f"{run}-{keyword}-{page}-{i}", "created_at": "刚刚",
                                                 "text": TEXTS[(page + i) % 4] + f" {keyword} {page}-{i}",
                                                 "reposts_count": i % 9, "user": {"id": i, "screen_name": f"u{i}", "followers_count": i * 37}}}
                     for i in range(PER_PAGE)] if page <= pages else []
            body = json.dumps({"ok": 1, "data": {"cards": cards}}, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def config_text(db_url: str, redis_url: str, prefix: str, source_id: str = "wb", port: int = 9, pages: int = 1) -> str:
    keywords = ", ".join(f"手镯之家{k}" for k in range(KEYWORDS))
    return (
        f"database: {{url: '{db_url}'}}\nbrands:\n  - {{id: s, name: 手镯之家, keywords: {{any: [手镯之家]}}}}\n"
        f"sources:\n  - {{id: {source_id}, kind: weibo, keywords: [{keywords}], base_url: 'http://127.0.0.1:{port}', max_pages: {pages + 1}}}\n"
        f"distributed: {{redis_url: '{redis_url}', key_prefix: '{prefix}'}}\n"
        "crawl: {download_delay: 0s, autothrottle: false, concurrent_requests_per_domain: 8}\n"
    )


# ---------------------------------------------------------------------------- one database


@dataclass
class Target:
    name: str
    url: str
    folder: Path
    redis_url: str
    prefix: str = field(default_factory=lambda: f"scale{uuid.uuid4().hex[:8]}")

    def config(self, **kw) -> tuple[Path, Config]:
        path = self.folder / f"{self.name}-{kw.get('source_id', 'wb')}.yaml"
        path.write_text(config_text(self.url, self.redis_url, self.prefix, **kw))
        return path, load_config(path)


@dataclass
class Ingest:
    workers: int
    rate: float  # mentions stored per second over the steady window
    rows: int  # rows stored in that window
    seconds: float  # its length
    stored: int  # rows stored by the pass in all
    wanted: int


def count_source(factory, source_id: str) -> int:
    with session_scope(factory) as s:
        return int(s.scalar(select(func.count()).select_from(Mention).where(Mention.source_id == source_id)) or 0)


def steady_rate(samples: list[tuple[float, int]], want: int) -> tuple[float, int, float]:
    """Rows per second between the first sample at or past 10% of ``want`` and the first at or
    past 90% (or the last sample, if the pass stopped short): rows stored between two
    timestamps, nothing stored before the window counted."""
    lo = next(((t, n) for t, n in samples if n >= STEADY[0] * want), None)
    hi = next(((t, n) for t, n in samples if n >= STEADY[1] * want), samples[-1] if samples else None)
    if lo is None or hi is None or hi[0] <= lo[0] or hi[1] <= lo[1]:
        return 0.0, 0, 0.0
    return (hi[1] - lo[1]) / (hi[0] - lo[0]), hi[1] - lo[1], hi[0] - lo[0]


def ingest(target: Target, workers: int, n: int) -> Ingest:
    """New mentions per second stored by ``workers`` ``repmon worker`` processes.

    A weibo source pages each keyword in sequence (page N+1 is known only after page N),
    so the source gets ``KEYWORDS`` keywords: that many page chains the workers can share.
    """
    run = uuid.uuid4().hex[:6]
    source_id = f"wb{run}"
    pages = max(1, n // (PER_PAGE * KEYWORDS))
    want = pages * PER_PAGE * KEYWORDS
    server = page_server(pages, run)
    cfg_path, config = target.config(source_id=source_id, port=server.server_address[1], pages=pages)
    engine = make_engine(config.database_url())
    factory = session_factory(engine)
    procs: list[subprocess.Popen] = []
    samples: list[tuple[float, int]] = []
    try:
        procs = [subprocess.Popen([str(BIN), "worker", "--config", str(cfg_path)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
        seed_round(redis_client(config), config, source_id, datetime.now(timezone.utc))
        got, last_new, shown = 0, time.perf_counter(), 0.0
        while got < want and time.perf_counter() - last_new < STALL_SECONDS:
            time.sleep(0.5)
            now_count = count_source(factory, source_id)
            t = time.perf_counter()
            samples.append((t, now_count))
            if now_count > got:
                last_new = t
            got = now_count
            if t - shown > 10:
                progress(f"    {target.name}, {workers} worker(s): {got:,}/{want:,} stored")
                shown = t
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"a repmon worker exited (code {[p.returncode for p in procs]}); see {cfg_path}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        server.shutdown()
        server.server_close()
        engine.dispose()
    stored = samples[-1][1] if samples else 0
    if stored < want:
        progress(f"    {target.name}, {workers} worker(s): only {stored:,}/{want:,} stored (no new row for {STALL_SECONDS} s)")
    rate, rows, seconds = steady_rate(samples, want)
    return Ingest(workers, rate, rows, seconds, stored, want)


def bulk(engine, start: int, stop: int, now: datetime) -> float:
    """Store mentions ``start``..``stop`` (and one snapshot each); returns rows per second."""
    import random

    rnd = random.Random(start)
    t0 = time.perf_counter()
    shown = t0
    done = start
    while done < stop:
        rows = []
        for i in range(done, min(stop, done + BATCH)):
            at = now - timedelta(seconds=rnd.randint(60, 30 * 86400))
            neg = rnd.random() < 0.1
            rows.append(dict(
                source_id="bulk", external_id=str(i), url=f"https://m.weibo.cn/detail/{i}", text=TEXTS[i % 4] + f" #{i}",
                author_id=str(i % 5000), author_name=f"u{i % 5000}", author_followers=rnd.randint(10, 50_000), author_verified=False,
                published_at=at, fetched_at=at, first_seen_at=at, reposts=rnd.choice([0, 1, 2, 80]) if neg else 0, comments=0,
                likes=0, language="zh", sentiment=0.1 if neg else 0.8, negative=neg, category=rnd.choice(CATS) if neg else None,
                kol=False, priority=0.5, brand="s"))
        with engine.begin() as c:
            before = c.scalar(select(func.coalesce(func.max(Mention.id), 0)))
            c.execute(insert(Mention), rows)
            # One snapshot per mention, as the pipeline stores them: part of the real size.
            c.execute(insert(EngagementSnapshot).from_select(
                ["mention_id", "taken_at", "reposts", "comments", "likes"],
                select(Mention.id, Mention.fetched_at, Mention.reposts, Mention.comments, Mention.likes).where(Mention.id > before)))
        done += len(rows)
        if time.perf_counter() - shown > 10 or done == stop:
            rate = (done - start) / (time.perf_counter() - t0)
            progress(f"    loaded {done:,}/{stop:,} ({rate:,.0f} rows/s)")
            shown = time.perf_counter()
    return (stop - start) / (time.perf_counter() - t0)


def size_mb(engine, url: str) -> float:
    if url.startswith("sqlite"):
        p = Path(url.removeprefix("sqlite:///"))
        return sum(x.stat().st_size for x in (p, Path(str(p) + "-wal")) if x.exists()) / 1e6
    with engine.connect() as c:
        total = c.execute(text(
            "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = current_schema() and c.relkind = 'r'")).scalar()
    return float(total) / 1e6  # sum() of bigints is a numeric (Decimal)


def analyze(engine) -> None:
    with engine.connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()


def measure_db(target: Target, sizes: list[int], n_ingest: int, repeat: int, summary: list[dict]) -> None:
    engine = make_engine(target.url)
    upgrade(engine)
    factory = session_factory(engine)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    loaded = 0
    try:
        for size in sizes:
            tag = f"[{target.name} @ {size:,}]"
            progress(f"  {tag} bulk-loading mentions {loaded:,}..{size:,}")
            rate = bulk(engine, loaded, size, now)
            loaded = size
            analyze(engine)
            row = {"db": target.name, "rows": size, "bulk": rate}
            summary.append(row)
            say(f"{tag} bulk load: {rate:,.0f} mentions/s (with their snapshots)")
            # Alternating 1, 2, 2, 1 ... workers, so drift in the machine's load (it is shared)
            # weighs on both alike; the ratio is of passes measured side by side.
            order = [w for k in range(repeat) for w in ((1, 2) if k % 2 == 0 else (2, 1))]
            rates: dict[int, list[float]] = {1: [], 2: []}
            for workers in order:
                r = ingest(target, workers, n_ingest)
                rates[workers].append(r.rate)
                say(f"{tag} ingest, {workers} worker(s): {r.rate:,.0f} mentions/s "
                    f"({r.rows:,} rows stored in {r.seconds:.1f} s, steady window {STEADY[0]:.0%}-{STEADY[1]:.0%} "
                    f"of {r.wanted:,}; {r.stored:,} stored in all)")
            row["ingest1"], row["ingest2"] = statistics.mean(rates[1]), statistics.mean(rates[2])
            if row["ingest1"]:
                row["ratio"] = row["ingest2"] / row["ingest1"]
                say(f"{tag} ingest, mean of {repeat} pass(es) each: 1 worker {row['ingest1']:,.0f}/s, "
                    f"2 workers {row['ingest2']:,.0f}/s = {row['ratio']:.2f}x")
            analyze(engine)
            _, cfg = target.config(pages=1)
            cfg = cfg.model_copy(update={"digest": cfg.digest.model_copy(update={"dir": str(target.folder / f"digests-{target.name}")})})
            at = datetime.now(timezone.utc)
            times = []
            for i in range(4):
                t = time.perf_counter()
                evaluate_and_enqueue(cfg, factory, FixedClock(at + timedelta(seconds=30 * i)))
                times.append(time.perf_counter() - t)
            row["eval_first"], row["eval"] = times[0], statistics.median(times[1:])
            with session_scope(factory) as s:
                in_window, negative = s.execute(select(func.count(), func.coalesce(func.sum(case((Mention.negative.is_(True), 1), else_=0)), 0))
                                                .where(Mention.published_at >= at - cfg.incidents.window)).one()
            say(f"{tag} evaluation cycle: {row['eval'] * 1000:,.0f} ms (median of 3; first, cold: {times[0] * 1000:,.0f} ms) "
                f"with {in_window:,} mentions in its {cfg.incidents.window.total_seconds() / 3600:g} h window, {negative:,} negative")
            yesterday = at.astimezone(cfg.tz).date() - timedelta(days=1)
            t = time.perf_counter()
            send_digests(cfg, factory, FixedClock(at), day=yesterday, send=False)
            row["digest"] = time.perf_counter() - t
            say(f"{tag} digest ({yesterday}): {row['digest']:.2f} s")
            row["size"] = size_mb(engine, target.url)
            with session_scope(factory) as s:
                total = s.scalar(select(func.count()).select_from(Mention))
            row["stored"] = total
            say(f"{tag} database size: {row['size']:,.0f} MB with {total:,} mentions")
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- clean-up


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    """A schema of its own for this run (a URL using it), dropped afterwards whatever happens."""
    progress("  PostgreSQL: a schema of its own for this run")
    with fresh_schema(url, "repmon_scale_") as schema_url:
        yield schema_url
    progress("  dropped the run's schema")


def drop_redis_keys(redis_url: str, prefix: str) -> None:
    import redis

    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        r.delete(*keys)
    r.close()


def _interrupt(signum, frame):
    # SIGTERM (kill, a closing session) cleans up like Ctrl-C does.
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="1000000", help="stored mentions; several comma-separated sizes are loaded one after another")
    ap.add_argument("--ingest", type=int, default=20_000, help="new mentions per ingest pass")
    ap.add_argument("--repeat", type=int, default=2, help="ingest passes per worker count (alternating 1, 2, 2, 1, ...)")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    args = ap.parse_args()
    sizes = sorted(int(x.replace("_", "")) for x in args.rows.split(","))
    signal.signal(signal.SIGTERM, _interrupt)
    # The cycle logs each incident it opens; the figures are what this run prints.
    logging.getLogger("monitor").setLevel(logging.ERROR)
    folder = Path(tempfile.mkdtemp(prefix="repmon-scale-"))
    summary: list[dict] = []
    started = time.perf_counter()
    say(f"repmon scale benchmark: sizes {', '.join(f'{s:,}' for s in sizes)}; {args.ingest:,} new mentions per ingest pass; "
        f"{len(__import__('os').sched_getaffinity(0))} CPU(s)")
    try:
        for name in ("sqlite", "postgres"):
            if args.only not in (None, name):
                continue
            if name == "sqlite":
                target = Target("SQLite", f"sqlite:///{folder / 'scale.db'}", folder, args.redis)
                try:
                    measure_db(target, sizes, args.ingest, args.repeat, summary)
                finally:
                    drop_redis_keys(args.redis, target.prefix)
            else:
                with pg_schema(args.pg) as url:
                    target = Target("PostgreSQL", url, folder, args.redis)
                    try:
                        measure_db(target, sizes, args.ingest, args.repeat, summary)
                    finally:
                        drop_redis_keys(args.redis, target.prefix)
    except KeyboardInterrupt:
        progress("interrupted; cleaning up")
        raise SystemExit(130)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if summary:
            say("")
            say(f"summary ({(time.perf_counter() - started) / 60:.0f} min):")
            say(f"{'database':<11}{'mentions':>11}{'ingest 1 w':>13}{'ingest 2 w':>13}{'2w/1w':>7}{'eval cycle':>12}{'digest':>9}{'size':>10}")
            for r in summary:
                say(f"{r['db']:<11}{r['rows']:>11,}{_fmt(r, 'ingest1', ',.0f'):>10} /s{_fmt(r, 'ingest2', ',.0f'):>10} /s"
                    f"{_fmt(r, 'ratio', '.2f'):>6}x{_fmt(r, 'eval', ',.0f', 1000):>9} ms{_fmt(r, 'digest', '.2f'):>7} s"
                    f"{_fmt(r, 'size', ',.0f'):>7} MB")


def _fmt(row: dict, key: str, spec: str, scale: float = 1) -> str:
    return format(row[key] * scale, spec) if key in row else "-"


if __name__ == "__main__":
    main()
