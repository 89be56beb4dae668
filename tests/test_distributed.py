"""Proof of distributed crawling: one scheduler and two workers on the local Redis and a
shared database, against a local source server (all loopback, all bounded in time).

Runs on PostgreSQL and on SQLite: workers on one machine can share a SQLite file (WAL,
writers wait for each other), which ``bench/scale.py`` measures too; several machines
need PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import create_engine, text

from tests.support.loopback import Loopback, QuietHandler
from tests.support.processes import REPMON, spawn, stop
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.redis]

# More first pages than one worker takes at once (Scrapy's CONCURRENT_REQUESTS, 16): the
# rest wait in Redis for the other worker.
KEYWORDS = [f"k{i}" for i in range(20)]
PAGES, PER_PAGE = 2, 5  # page 3 of each keyword is empty: paging stops there


def socket_owner(client_port: int, processes: dict[str, int]) -> str | None:
    """Which of the named processes holds the TCP connection whose local port is ``client_port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == client_port:
                inodes.add(f"socket:[{fields[9]}]")
    for name, pid in processes.items():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return name
            except OSError:
                continue
    return None


class Pages:
    """Weibo-like search pages for every keyword; records which worker fetched what.

    Answers wait for ``gate``: a test holds the workers mid-request until it has seen
    what it needs (both workers asking; a worker to kill holding a request)."""

    def __init__(self):
        self.fetches: Counter = Counter()  # (keyword, page) -> times fetched
        self.by_worker: Counter = Counter()  # worker name -> requests
        self.holding: Counter = Counter()  # worker name -> requests waiting for the gate now
        self.workers: dict[str, int] = {}
        self.gate = threading.Event()
        self.lock = threading.Lock()
        outer = self

        class Handler(QuietHandler):
            def do_GET(self):
                qs = parse_qs(urlparse(self.path).query)
                keyword = parse_qs(qs.get("containerid", [""])[0]).get("q", ["?"])[0]
                page = int(qs.get("page", ["1"])[0])
                who = socket_owner(self.client_address[1], outer.workers) or "?"
                with outer.lock:
                    outer.fetches[(keyword, page)] += 1
                    outer.by_worker[who] += 1
                    outer.holding[who] += 1
                outer.gate.wait(60)
                with outer.lock:
                    outer.holding[who] -= 1
                k = KEYWORDS.index(keyword) if keyword in KEYWORDS else 99
                cards = []
                if page <= PAGES:
                    for i in range(PER_PAGE):
                        n = k * 10000 + page * 100 + i
                        # One post spreads: it opens an incident.
                        cards.append({"card_type": 9, "mblog": {
                            "id": str(n), "text": f"手镯之家的手镯断裂了，质量太差 #{n}" if i % 2 == 0 else f"手镯之家很好看，喜欢 #{n}",
                            "created_at": "刚刚", "reposts_count": 120 if n == 100 else 1, "user": {"id": n, "screen_name": f"u{n}"}}})
                self.answer(200, json.dumps({"ok": 1, "data": {"cards": cards}}).encode())

        self.server = Loopback(Handler)
        self.url = self.server.url

    def close(self) -> None:
        self.gate.set()
        self.server.close()


ALL_POSTS = {str(k * 10000 + p * 100 + i) for k in range(len(KEYWORDS)) for p in range(1, PAGES + 1) for i in range(PER_PAGE)}
ALL_PAGES = {(kw, p) for kw in KEYWORDS for p in range(1, PAGES + 2)}


@pytest.fixture
def key_prefix(redis_url):
    """A Redis key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"t{uuid.uuid4().hex[:8]}"
    yield prefix
    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter(f"{prefix}:*"))
    if keys:
        r.delete(*keys)
    r.close()


def setup(tmp_path: Path, db_url: str, redis_url: str, prefix: str, interval: str):
    pages = Pages()
    alerts = tmp_path / "alerts.jsonl"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"database: {{url: '{db_url}'}}\n"
        "brands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n"
        f"sources:\n  - {{id: wb, kind: weibo, keywords: [{', '.join(KEYWORDS)}], base_url: '{pages.url}', max_pages: {PAGES + 1}, interval: {interval}}}\n"
        f"distributed: {{redis_url: '{redis_url}', key_prefix: '{prefix}', round_timeout: 3s}}\n"
        f"channels:\n  f: {{kind: file, path: {alerts}}}\nroutes: {{yellow: [f], orange: [f], red: [f]}}\n"
        "service: {evaluate_every: 1s, deliver_every: 1s, reload_check_every: 1h}\n"
        "crawl: {download_delay: 0s, autothrottle: false, concurrent_requests_per_domain: 4, retry_times: 0}\n")
    subprocess.run([str(REPMON), "db", "upgrade", "--config", str(cfg)], check=True, capture_output=True)
    return pages, cfg, alerts


def stored(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    with engine.connect() as c:
        ids = [r[0] for r in c.execute(text("select external_id from mentions"))]
    engine.dispose()
    return ids


def alert_lines(alerts: Path) -> list[dict]:
    if not alerts.exists():
        return []
    return [json.loads(x) for x in alerts.read_text().splitlines() if x.strip()]


def started_worker(log: Path) -> bool:
    """Whether the worker writing ``log`` has set up its crawlers and is starting to take requests."""
    return log.exists() and "repmon worker:" in log.read_text()


def test_a_scheduler_and_two_workers_fetch_store_and_alert_every_post_once(tmp_path, db_url, redis_url, key_prefix):
    pages, cfg, alerts = setup(tmp_path, db_url, redis_url, key_prefix, interval="1h")
    w1 = spawn(["--log-json", "worker", "--config", str(cfg)], tmp_path / "w1.log")
    w2 = spawn(["worker", "--config", str(cfg)], tmp_path / "w2.log")
    pages.workers = {"w1": w1.pid, "w2": w2.pid}
    assert wait_for(lambda: started_worker(tmp_path / "w1.log") and started_worker(tmp_path / "w2.log"), 60)
    sched = spawn(["run", "--config", str(cfg)], tmp_path / "sched.log")
    try:
        # Answers wait until both workers have asked for a page: neither can take all.
        assert wait_for(lambda: pages.by_worker["w1"] and pages.by_worker["w2"], 60), (pages.by_worker, pages.fetches)
        pages.gate.set()
        assert wait_for(lambda: len(stored(db_url)) >= len(ALL_POSTS), 90), (tmp_path / "w2.log").read_text()[-2000:]
        assert wait_for(lambda: any(a["kind"] == "alert" for a in alert_lines(alerts)), 30)
        time.sleep(2)  # kept on purpose: a quiet spell in which a duplicate fetch, row or alert would show up
        ids = stored(db_url)
        assert len(ids) == len(set(ids)) and set(ids) == ALL_POSTS  # stored once
        assert set(pages.fetches) == ALL_PAGES and set(pages.fetches.values()) == {1}, pages.fetches  # fetched once
        assert pages.by_worker["?"] == 0 and pages.by_worker["w1"] + pages.by_worker["w2"] == len(ALL_PAGES)
        assert [a["kind"] for a in alert_lines(alerts)].count("alert") == 1  # alerted once
    finally:
        stop([w1, w2, sched])
        pages.close()
    # --log-json reaches the worker's Scrapy process: every line it logged is JSON.
    lines = [x for x in (tmp_path / "w1.log").read_text().splitlines() if x.strip()]
    assert lines and all(isinstance(json.loads(x), dict) for x in lines), lines[:5]


def test_killing_a_worker_mid_crawl_loses_nothing(tmp_path, db_url, redis_url, key_prefix):
    pages, cfg, alerts = setup(tmp_path, db_url, redis_url, key_prefix, interval="2s")
    w1 = spawn(["worker", "--config", str(cfg)], tmp_path / "w1.log")
    w2 = spawn(["worker", "--config", str(cfg)], tmp_path / "w2.log")
    pages.workers = {"w1": w1.pid, "w2": w2.pid}
    assert wait_for(lambda: started_worker(tmp_path / "w1.log") and started_worker(tmp_path / "w2.log"), 60)
    sched = spawn(["run", "--config", str(cfg)], tmp_path / "sched.log")
    try:
        # w1 is certainly mid-request: the server holds its answer while it is killed.
        assert wait_for(lambda: pages.holding["w1"] > 0, 60), (pages.by_worker, pages.fetches)
        w1.send_signal(signal.SIGKILL)
        w1.wait()
        assert pages.holding["w1"] > 0
        before = pages.by_worker["w2"]
        pages.gate.set()
        assert wait_for(lambda: set(stored(db_url)) >= ALL_POSTS, 120), (tmp_path / "sched.log").read_text()[-2000:]
        assert wait_for(lambda: any(a["kind"] == "alert" for a in alert_lines(alerts)), 30)
        time.sleep(2)  # kept on purpose: a quiet spell in which a row or alert stored twice would show up
        ids = stored(db_url)
        assert len(ids) == len(set(ids)) and set(ids) == ALL_POSTS  # nothing lost, nothing stored twice
        assert pages.by_worker["w2"] > before  # the survivor did the rest
        assert [a["kind"] for a in alert_lines(alerts)].count("alert") == 1
    finally:
        stop([w1, w2, sched])
        pages.close()


def test_a_round_ends_at_zero_open_requests_through_retries_redirects_and_dead_connections(tmp_path, db_url, redis_url,
                                                                                            key_prefix):
    """Every way a request can end counts it off once: a page answering 500 then 200 (a
    retry copy), a redirect, a connection dropped on every try (an errback outside the
    spider middlewares), a 404 (HTTP error errback) and plain pages."""
    from crawlers.distributed import keys, redis_client, round_done, seed_round
    from monitor.config import load_config

    tries: Counter = Counter()

    class Handler(QuietHandler):
        def do_GET(self):
            qs = parse_qs(urlparse(self.path).query)
            keyword = parse_qs(qs.get("containerid", [""])[0]).get("q", ["?"])[0]
            page = int(qs.get("page", ["1"])[0])
            tries[(keyword, page)] += 1
            if keyword == "断线":
                self.close_connection = True
                return  # no answer at all
            if keyword == "出错" and tries[(keyword, page)] == 1:
                return self.answer(500, b"{}")
            if keyword == "跳转" and "moved" not in self.path:
                self.send_response(302)
                self.send_header("Location", self.path + "&moved=1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if keyword == "没有":
                return self.answer(404, b"not here")
            cards = [{"card_type": 9, "mblog": {"id": f"{keyword}{page}-{i}", "text": f"手镯之家 {keyword} {page}-{i}", "created_at": "刚刚",
                                                 "user": {"id": i, "screen_name": f"u{i}"}}} for i in range(3)] if page <= 2 else []
            self.answer(200, json.dumps({"ok": 1, "data": {"cards": cards}}).encode())

    server = Loopback(Handler)
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(
        f"database: {{url: '{db_url}'}}\n"
        "brands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n"
        f"sources:\n  - {{id: wb, kind: weibo, keywords: [正常, 出错, 跳转, 断线, 没有], base_url: '{server.url}', max_pages: 5}}\n"
        f"distributed: {{redis_url: '{redis_url}', key_prefix: '{key_prefix}'}}\n"
        "crawl: {download_delay: 0s, autothrottle: false, retry_times: 1}\n")
    subprocess.run([str(REPMON), "db", "upgrade", "--config", str(cfg_path)], check=True, capture_output=True)
    config = load_config(cfg_path)
    r = redis_client(config)
    worker = spawn(["worker", "--config", str(cfg_path)], tmp_path / "w.log")
    try:
        from datetime import datetime, timezone

        seed_round(r, config, "wb", datetime.now(timezone.utc))
        assert wait_for(lambda: tries[("断线", 1)] >= 2 and tries[("没有", 1)] >= 1 and tries[("正常", 3)] >= 1, 30), tries
        assert wait_for(lambda: round_done(r, config, "wb"), 15), (r.get(keys(config, "wb")["inflight"]), (tmp_path / "w.log").read_text()[-3000:])
        time.sleep(1.5)  # kept on purpose: a quiet spell for a late count-off to push the count below zero
        assert int(r.get(keys(config, "wb")["inflight"])) == 0
        assert tries[("出错", 1)] == 2 and tries[("跳转", 1)] == 2  # the retry and the redirect were fetched
        assert len([i for i in stored(db_url) if i.startswith(("正常", "出错", "跳转"))]) == 18
    finally:
        stop([worker])
        server.close()
        r.close()
