"""Soak: run the real service against a local source that produces mentions at a high rate.

    python bench/soak.py [--minutes 30] [--rate 50] [--window 10m] [--interval 5s] [--every 60] [--keep]

A local HTTP server serves a JSON-lines feed that grows by ``--rate`` new mentions per
second (some negative, some re-crawled with more reposts), always listing the newest
2,000. The service — the same ``Service`` that ``repmon run`` starts, driven by its own
``wait()`` loop in the main thread — crawls it every ``--interval`` (each crawl in a
child process), evaluates every 5 s and after new mentions, and delivers to a file
channel. After ``--minutes`` the run stops the service with SIGTERM, as an operator
would (Ctrl-C stops it the same way, early).

While it runs, a line every ``--every`` seconds: mentions stored (and the rate over the
last interval), crawls, cycles, the RSS of the service process and of its crawl
processes. At the end: mentions stored per second, evaluation-cycle latency (median,
p95, max), memory at start, after the first interval and at the end.

Memory: "service" is this process (the scheduler, evaluator and delivery; the feed
server's thread is small). "crawl processes" are its descendants: the fork server that
crawl children are forked from (it holds Scrapy and the sentiment models, preloaded),
multiprocessing's resource tracker, and whichever crawl child is running when sampled;
the largest crawl child seen is reported too. A crawl child shares most of its pages
with the fork server, so their RSS double-counts; PSS adds up what they hold together.

The evaluator's work grows with the content of its sliding window (``incidents.window``,
24 h by default: the database ranks and sums it each cycle) until the window is full. ``--window`` shortens it so that a 30-minute run reaches the steady
state a real deployment reaches after a day: from then on memory must stay flat.

The database (SQLite), config and alert file live in a temporary folder removed at the
end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from monitor.config import load_config  # noqa: E402
from monitor.db import make_engine, session_factory, session_scope  # noqa: E402
from monitor.models import Incident, Mention, OutboxMessage  # noqa: E402
from monitor.service import Service  # noqa: E402

TEXTS = ["手镯之家的手镯戴了三天就断裂了，质量太差", "手镯之家客服很耐心，好评", "手镯之家快递太慢了", "在手镯之家买的和田玉很好看"]
FEED_WINDOW = 2000


# ---------------------------------------------------------------------------- memory


def _status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except OSError:  # the process ended meanwhile
        return {}


def rss_mb(pid: int) -> float:
    value = _status(pid).get("VmRSS", "0 kB").split()[0]
    return int(value) / 1024


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, their children ...)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: the ppid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def pss_mb(pid: int) -> float:
    """Proportional set size: a page shared by n processes counts 1/n in each, so the PSS of
    a fork server and its children adds up to what they really hold (their RSS double-counts)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Memory:
    service: float  # RSS of this process
    crawl_rss: list[float]  # RSS of each crawl process: the fork server and any crawl child alive at the moment
    crawl_pss: float  # their PSS together

    def crawl_text(self) -> str:
        if not self.crawl_rss:
            return "none"
        return f"RSS {' + '.join(f'{r:,.0f}' for r in self.crawl_rss)} MB, together (PSS) {self.crawl_pss:,.0f} MB"


def memory() -> Memory:
    kids = descendants(os.getpid())
    return Memory(rss_mb(os.getpid()), [rss_mb(k) for k in kids], sum(pss_mb(k) for k in kids))


# ---------------------------------------------------------------------------- the source


def feed_server(rate: int) -> ThreadingHTTPServer:
    start = time.monotonic()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            # The newest FEED_WINDOW posts: new ones appear at `rate`/s, older ones gain reposts.
            n = int((time.monotonic() - start) * rate)
            now = datetime.now(timezone.utc).isoformat()
            lines = []
            for i in range(max(0, n - FEED_WINDOW), n):
                age = n - i
                lines.append(json.dumps({"id": f"s{i}", "text": TEXTS[i % 4] + f" #{i}", "published_at": now,
                                         "reposts": min(age // 10, 400) if i % 97 == 0 else age % 7,
                                         "author": {"name": f"u{i % 300}", "followers": i % 50000}}, ensure_ascii=False))
            body = ("\n".join(lines) + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---------------------------------------------------------------------------- the watcher


@dataclass
class Watch:
    """What the watcher thread saw while the service ran."""

    cycles: list[float] = field(default_factory=list)  # seconds per evaluation cycle
    mem: list[tuple[float, Memory]] = field(default_factory=list)  # (seconds since start, memory)
    counts: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, mentions stored)
    crawl_peak: float = 0.0  # the largest single crawl process seen (RSS, MB)
    error: BaseException | None = None


def count(factory) -> int:
    with session_scope(factory) as s:
        return int(s.scalar(select(func.count()).select_from(Mention)) or 0)


def watch(service: Service, factory, seconds: float, every: float, w: Watch, done: threading.Event) -> None:
    """Sample the running service; after ``seconds``, stop it with SIGTERM like an operator would."""
    try:
        t0 = time.monotonic()
        last_cycle = None
        next_report = t0 + every
        fork_server = None
        while not done.is_set():
            now = time.monotonic()
            st = service.status
            at, took = st.last_cycle_at, st.last_cycle_seconds
            if at and at != last_cycle and took is not None:
                last_cycle = at
                w.cycles.append(took)
            kids = descendants(os.getpid())
            if kids:
                fork_server = fork_server or min(kids)
                for k in kids:
                    if k != fork_server:
                        w.crawl_peak = max(w.crawl_peak, rss_mb(k))
            if now >= next_report or now - t0 >= seconds:
                next_report += every
                n = count(factory)
                m = memory()
                elapsed = now - t0
                prev_t, prev_n = w.counts[-1] if w.counts else (0.0, 0)  # the database starts empty
                w.counts.append((elapsed, n))
                w.mem.append((elapsed, m))
                recent = (n - prev_n) / (elapsed - prev_t) if elapsed > prev_t else 0.0
                cyc = statistics.median(w.cycles[-20:]) * 1000 if w.cycles else float("nan")
                print(f"  {elapsed / 60:5.1f} min: {n:,} mentions ({recent:,.1f}/s), {st.crawls} crawls, {st.cycles} cycles "
                      f"(recent median {cyc:,.0f} ms); RSS service {m.service:,.0f} MB; crawl processes {m.crawl_text()}",
                      file=sys.stderr, flush=True)
                if elapsed >= seconds:
                    os.kill(os.getpid(), signal.SIGTERM)  # the service's own shutdown path
                    return
            done.wait(0.2)
    except BaseException as exc:  # noqa: BLE001 - reported by the main thread, and the service stopped
        w.error = exc
        os.kill(os.getpid(), signal.SIGTERM)


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def seconds_of(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--rate", type=int, default=50, help="new mentions per second the source offers")
    ap.add_argument("--window", default="10m", help="incidents.window for the run (e.g. 10m, 24h)")
    ap.add_argument("--interval", default="5s", help="the source's crawl interval")
    ap.add_argument("--every", type=float, default=60, help="seconds between progress lines")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (database, config, alerts)")
    args = ap.parse_args()
    from monitor.logs import setup_logging

    setup_logging(logging.WARNING)
    logging.getLogger("monitor.cycle").setLevel(logging.ERROR)  # "incident #n opened": counted at the end instead
    folder = Path(tempfile.mkdtemp(prefix="repmon-soak-"))
    server = feed_server(args.rate)
    service = None
    try:
        cfg_path = folder / "config.yaml"
        db_url = f"sqlite:///{folder / 'soak.db'}"
        cfg_path.write_text(
            f"database: {{url: '{db_url}'}}\n"
            "brands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n"
            f"sources:\n  - {{id: feed, kind: jsonl, url: 'http://127.0.0.1:{server.server_address[1]}/feed.jsonl', interval: {args.interval}}}\n"
            f"channels:\n  f: {{kind: file, path: {folder / 'alerts.jsonl'}}}\nroutes: {{yellow: [f], orange: [f], red: [f], ops: [f]}}\n"
            "service: {evaluate_every: 5s, deliver_every: 2s}\n"
            f"incidents: {{window: {args.window}}}\n"
            "crawl: {download_delay: 0s}\n")
        config = load_config(cfg_path)
        service = Service(cfg_path, config)
        engine = make_engine(db_url)
        factory = session_factory(engine)
        mem_start = memory()
        print(f"soak: {args.minutes:g} min, source offering {args.rate} new mentions/s (newest {FEED_WINDOW:,} listed), "
              f"crawled every {args.interval}; evaluation window {args.window}; folder {folder}", file=sys.stderr, flush=True)
        w, done = Watch(), threading.Event()
        t0 = time.monotonic()
        service.start()
        # APScheduler warns each time a job is due while its last run is still going (a crawl
        # slower than its interval): counted for the summary instead of a warning every 5 s.
        from apscheduler.events import EVENT_JOB_MAX_INSTANCES

        skipped: dict[str, int] = {}
        service.scheduler.add_listener(lambda ev: skipped.__setitem__(ev.job_id, skipped.get(ev.job_id, 0) + 1),
                                       EVENT_JOB_MAX_INSTANCES)
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
        watcher = threading.Thread(target=watch, args=(service, factory, args.minutes * 60, args.every, w, done), daemon=True)
        watcher.start()
        try:
            service.wait()  # until SIGTERM (from the watcher, at the end) or Ctrl-C
        finally:
            done.set()
            watcher.join(30)
        elapsed = time.monotonic() - t0
        if w.error is not None:
            raise w.error
        mem_end = memory()
        with session_scope(factory) as s:
            n = s.scalar(select(func.count()).select_from(Mention))
            incidents = s.scalar(select(func.count()).select_from(Incident))
            sent = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent"))
            backlog = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent"))
        engine.dispose()
        offered = int(elapsed * args.rate)
        warm = w.mem[0][1] if w.mem else mem_end
        print(f"soak {elapsed / 60:.1f} min at {args.rate} new mentions/s offered ({offered:,}), crawl every {args.interval}, "
              f"evaluation window {args.window}:")
        print(f"  mentions: {n:,} stored = {n / elapsed:.1f}/s ({n / offered:.0%} of those offered); "
              f"{service.status.crawls} crawls; {incidents} incidents; {sent} messages sent, backlog {backlog}")
        print(f"  evaluation cycle: median {statistics.median(w.cycles) * 1000 if w.cycles else float('nan'):,.0f} ms, "
              f"p95 {p95(w.cycles) * 1000:,.0f} ms, max {max(w.cycles, default=float('nan')) * 1000:,.0f} ms "
              f"over {len(w.cycles)} cycles seen ({service.status.cycles} run)")
        print(f"  RSS of the service process: {mem_start.service:,.0f} MB at start, {warm.service:,.0f} MB after "
              f"{w.mem[0][0] / 60 if w.mem else 0:.1f} min, {mem_end.service:,.0f} MB at end")
        print(f"  crawl processes (fork server, its resource tracker, the crawl child if one was running): after {w.mem[0][0] / 60 if w.mem else 0:.1f} min "
              f"{warm.crawl_text()}; at end {mem_end.crawl_text()}; largest crawl child seen: RSS {w.crawl_peak:,.0f} MB")
        print(f"  crawl runs skipped because the previous one was still running: {skipped.get('source:feed', 0)}; "
              f"evaluation runs skipped: {skipped.get('evaluate', 0)}")
    finally:
        if service is not None and service.scheduler.running:
            service.stop()
        server.shutdown()
        server.server_close()
        if args.keep:
            print(f"  kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
