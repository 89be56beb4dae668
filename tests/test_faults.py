"""Faults the service must survive, each bounded in time and on loopback only."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawlers.runner import crawl
from monitor.db import session_scope
from monitor.migrate import open_database
from monitor.models import Mention, OutboxMessage, SourceRun
from monitor.source_health import failing_sources, source_health
from tests.support.factories import add_open_incidents, migrated
from tests.support.fake_sources import SlowPager
from tests.support.loopback import Loopback, QuietHandler
from tests.support.processes import REPMON, kill_group, spawn
from tests.support.waiting import wait_for
NOW = datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)


def stored(cfg) -> list[str]:
    engine, factory = open_database(cfg)
    with session_scope(factory) as s:
        ids = list(s.scalars(select(Mention.external_id)))
    engine.dispose()
    return ids


def slow_weibo_source(path, db_url: str, pager: SlowPager, crawl: str = "") -> None:
    """Write a config crawling ``pager`` as a weibo source (3 pages at most) to ``path``."""
    path.write_text(f"database: {{url: '{db_url}'}}\n"
                    "brands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n"
                    f"sources:\n  - {{id: wb, kind: weibo, keywords: [手镯之家], base_url: '{pager.url}', max_pages: 3}}\n"
                    f"crawl: {{download_delay: 0s, autothrottle: false, retry_times: 0{crawl}}}\n")


def assert_the_next_crawl_stores_both_pages_once(pager: SlowPager, path, cfg) -> None:
    """Let the pager answer page 2 and crawl again: pages 1 and 2 are stored, each post once."""
    pager.release.set()
    again = subprocess.run([str(REPMON), "crawl", "wb", "--config", str(path)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stdout + again.stderr
    ids = stored(cfg)
    assert sorted(ids) == sorted({str(p * 100 + i) for p in (1, 2) for i in range(10)})
    assert len(ids) == len(set(ids)) == 20


def test_kill_9_during_a_crawl_then_restart_loses_nothing_and_stores_nothing_twice(tmp_path, config_factory, db_url):
    pager = SlowPager(pause=30)
    try:
        path = tmp_path / "config.yaml"
        slow_weibo_source(path, db_url, pager)
        proc = spawn(["crawl", "wb", "--config", str(path)])
        from monitor.config import load_config

        cfg = load_config(path)
        wait_for(lambda: len(stored(cfg)) >= 10, 60)  # a loaded machine can take long to start Scrapy
        assert len(stored(cfg)) == 10  # page 1 is in; page 2 is hanging
        kill_group(proc)  # the CLI and its crawl child
        assert_the_next_crawl_stores_both_pages_once(pager, path, cfg)
    finally:
        pager.close()


def test_kill_9_with_a_batch_uncommitted_loses_just_that_batch_and_the_next_run_reads_it_again(tmp_path, db_url):
    pager = SlowPager(pause=30)
    try:
        path = tmp_path / "config.yaml"
        # A batch window far longer than the test: page 1's mentions wait, uncommitted.
        slow_weibo_source(path, db_url, pager, ", batch_wait: 10m")
        from monitor.config import load_config

        cfg = load_config(path)
        proc = spawn(["crawl", "wb", "--config", str(path)])
        assert pager.page_2_asked.wait(60)  # page 1 is parsed and in the batch; page 2 hangs
        time.sleep(0.5)  # the page's items pass the first pipeline stages
        kill_group(proc)
        assert stored(cfg) == []  # the batch was never committed
        # The killed run was unclean, so the next one pages to full depth and reads page 1 again.
        assert_the_next_crawl_stores_both_pages_once(pager, path, cfg)
    finally:
        pager.close()


class SlowSlack:
    """A Slack-like API that records every chat.postMessage and can stall one."""

    def __init__(self):
        self.posts: list[str] = []
        self.stall_first = threading.Event()
        self.stalled = threading.Event()
        outer = self

        class Handler(QuietHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "conversations.history" in self.path:  # what arrived, with its metadata
                    messages = [{"type": "message", "metadata": json.loads(p).get("metadata")} for p in outer.posts][::-1]
                    return self.answer(200, json.dumps({"ok": True, "messages": messages}).encode())
                outer.posts.append(raw)
                if outer.stall_first.is_set() and not outer.stalled.is_set():
                    outer.stalled.set()
                    time.sleep(30)  # a server that hangs mid-request: the delivery to kill
                self.answer(200, b'{"ok": true, "ts": "1.1"}')

        self.server = Loopback(Handler)
        self.url = self.server.url


def test_kill_9_during_a_delivery_then_restart_delivers_every_alert_exactly_once(tmp_path, db_url):
    slack = SlowSlack()
    try:
        sample = tmp_path / "in.jsonl"
        rows = [{"id": f"p{i}", "text": f"手镯之家 断裂 质量太差 第{i}条", "published_at": "2026-03-10T04:00:00+00:00",
                 "reposts": 80, "fetched_at": "2026-03-10T04:30:00+00:00"} for i in range(3)]
        rows.append({"id": "log", "text": "手镯之家 快递 太慢了 丢件", "published_at": "2026-03-10T04:00:00+00:00", "reposts": 90,
                     "fetched_at": "2026-03-10T04:30:00+00:00"})
        sample.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
        path = tmp_path / "config.yaml"
        path.write_text(
            f"database: {{url: '{db_url}'}}\n"
            "brands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n"
            f"sources:\n  - {{id: in, kind: jsonl, path: {sample}}}\n"
            f"channels:\n  pr: {{kind: slack, token: xoxb-test, channel: C1, base_url: '{slack.url}/api/'}}\n"
            "routes: {yellow: [pr], orange: [pr], red: [pr]}\n"
            "delivery: {sending_lease: 2s}\n")
        slack.stall_first.set()
        proc = spawn(["run", "--once", "--now", "2026-03-10T05:00:00+00:00", "--config", str(path)])
        assert slack.stalled.wait(30)
        kill_group(proc)
        # Kept on purpose: the dead process's claim (a 2 s sending lease, on the wall clock)
        # has to run out before the restart may send the message again.
        time.sleep(2.5)
        again = subprocess.run([str(REPMON), "run", "--once", "--now", "2026-03-10T05:00:05+00:00", "--config", str(path)],
                               capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stdout + again.stderr
        from monitor.config import load_config

        engine, factory = open_database(load_config(path))
        with session_scope(factory) as s:
            msgs = s.scalars(select(OutboxMessage)).all()
        engine.dispose()
        assert len(msgs) == 2 and all(m.status == "sent" for m in msgs)  # two incidents: quality and logistics
        # The message in flight at the kill had reached Slack; the restart finds it in the
        # channel's history by its metadata key and does not post it again.
        assert len(slack.posts) == len(msgs)
        assert sorted(json.loads(p)["metadata"]["event_payload"]["key"] for p in slack.posts) == sorted(m.idempotency_key for m in msgs)
    finally:
        slack.server.close()


def test_a_busy_sqlite_database_makes_writers_wait_not_fail(tmp_path, config_factory):
    sample = tmp_path / "in.jsonl"
    sample.write_text("\n".join(json.dumps({"id": f"b{i}", "text": f"手镯之家 {i}", "published_at": "刚刚"}, ensure_ascii=False)
                                for i in range(20)) + "\n")
    cfg = config_factory(f"sqlite:///{tmp_path / 'busy.db'}", f"sources:\n  - {{id: in, kind: jsonl, path: {sample}}}\n")
    engine, _ = open_database(cfg)
    engine.dispose()
    locker = sqlite3.connect(tmp_path / "busy.db", timeout=1, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    timer = threading.Timer(3.0, locker.rollback)
    timer.start()
    t = time.monotonic()
    [r] = crawl(cfg, cfg.sources, now=NOW)
    timer.join()
    locker.close()
    assert r.ok and r.new == 20 and r.dropped == 0
    assert time.monotonic() - t >= 2.5  # it waited for the lock instead of failing


def test_a_source_returning_garbage_for_a_day_is_reported_once_and_others_carry_on(tmp_path, config_factory, db_url):
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("<html>\n<body>maintenance</body>\n</html>\n")
    good = tmp_path / "good.jsonl"
    cfg = config_factory(db_url,
                         f"sources:\n  - {{id: bad, kind: jsonl, path: {garbage}}}\n  - {{id: fine, kind: jsonl, path: {good}}}\n")
    engine, factory = open_database(cfg)
    keys = set()
    for hour in range(24):
        now = NOW + timedelta(hours=hour)
        good.write_text(json.dumps({"id": f"g{hour}", "text": f"手镯之家 {hour}", "published_at": now.isoformat()}, ensure_ascii=False) + "\n")
        results = {r.source_id: r for r in crawl(cfg, cfg.sources, now=now)}
        assert not results["bad"].ok and results["fine"].ok and results["fine"].new == 1
        with session_scope(factory) as s:
            keys |= {n.key for n in failing_sources(s, cfg, now)}
    with session_scope(factory) as s:
        bad_runs = s.scalars(select(SourceRun).where(SourceRun.source_id == "bad")).all()
        assert len(bad_runs) == 24 and not any(r.ok for r in bad_runs)
        assert s.scalar(select(func.count()).select_from(Mention)) == 24
    assert len(keys) == 1  # one notice for the whole failure streak
    engine.dispose()


def test_a_source_whose_crawl_always_times_out_is_recorded_as_failing_and_raises_one_ops_notice(tmp_path, config_factory, db_url):
    pager = SlowPager(pause=60)  # page 2 hangs far beyond the crawl timeout
    try:
        cfg = config_factory(db_url, f"sources:\n  - {{id: wb, kind: weibo, keywords: [手镯之家], base_url: '{pager.url}', "
                                     "max_pages: 3, fail_notice_after: 2}\n"
                                     "crawl: {download_delay: 0s, autothrottle: false, retry_times: 0}\n")
        engine, factory = open_database(cfg)
        keys = set()
        for i in range(3):
            now = NOW + timedelta(minutes=10 * i)
            [r] = crawl(cfg, cfg.sources, now=now, timeout=4)
            assert not r.ok and r.error == "timed out"
            with session_scope(factory) as s:
                keys |= {n.key for n in failing_sources(s, cfg, now)}
        with session_scope(factory) as s:
            runs = s.scalars(select(SourceRun).where(SourceRun.source_id == "wb").order_by(SourceRun.id)).all()
            # Each killed crawl's own record is closed as a failure naming the cause, not left open.
            assert [(r.ok, r.error_message, r.finished_at is not None) for r in runs] == [(False, "timed out", True)] * 3
            [health] = source_health(s, cfg)
            assert health.failing_streak == 3 and health.last_error == "timed out"
        assert len(keys) == 1  # the ops notice, once for the streak
        assert len(stored(cfg)) == 10  # what page 1 gave before the hang stays stored
        engine.dispose()
    finally:
        pager.close()


# ---------------------------------------------------------------- channels failing for a long time

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def outbox_db(db_url):
    """A migrated database with incidents 7 and 8 for the notifications to belong to."""
    with migrated(db_url) as factory:
        add_open_incidents(factory, (7, 8), T0)
        yield factory


def slack_config(config_factory, db_url, url: str, extra: str = ""):
    """Slack and nothing else about delivery: the default retry settings apply."""
    return config_factory(db_url, f"channels:\n  pr: {{kind: slack, token: xoxb-t, channel: C1, base_url: '{url}/api/'}}\n"
                                  f"{extra}routes:\n  red: [pr{', f' if extra else ''}]\n")


def talk_through_an_outage(factory, cfg, rec, answer: str, hours: float, step: timedelta = timedelta(seconds=15)):
    """Two incidents post a status update every five minutes while Slack answers ``answer``
    for ``hours`` of fake time, delivering every ``step`` (the service's default); then
    Slack recovers and delivery goes on until nothing is left. Returns what Slack
    accepted, as (incident, number) from each message's title, in the order it arrived."""
    import re

    from alerts.delivery import Deliverer
    from alerts.outbox import enqueue
    from monitor.clock import FixedClock
    from tests.support.alert_samples import incident_note

    d, clock = Deliverer(cfg), FixedClock(T0)
    rec.script = [answer] * 100_000
    end = T0 + timedelta(hours=hours)
    number = 0
    while clock.now() < end:
        if clock.now().minute % 5 == 0 and clock.now().second == 0 and number < 12:
            number += 1
            with session_scope(factory) as s:
                for iid in (7, 8):
                    enqueue(s, [incident_note(kind="status_update", incident_id=iid, key=f"incident:{iid}:status:{number}",
                                              number=number)], cfg, clock.now())
        d.deliver_due(factory, clock)
        clock.advance(step)
    rec.script.clear()  # Slack is back
    for _ in range(int(2 * 3600 / step.total_seconds())):  # at most two hours (one max_backoff) more
        if not d.deliver_due(factory, clock).waiting and not pending(factory):
            break
        clock.advance(step)
    return [tuple(map(int, re.search(r"#(\d+)】\S+ 事件 #(\d+)", r["body"]["text"]).groups()[::-1]))
            for r in rec.requests if r["answer"] == "ok" and r["path"].endswith("chat.postMessage")]


def pending(factory) -> int:
    with session_scope(factory) as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent"))


def assert_each_delivered_once_in_order(factory, received):
    with session_scope(factory) as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.status, m.last_error) for m in rows if m.status != "sent"] == []
        written = [(m.incident_id, int(m.idempotency_key.rsplit(":", 1)[1])) for m in rows]
    assert len(written) == 24
    assert sorted(received) == sorted(written)  # every message, once
    for iid in (7, 8):  # per incident, in the order written, as the server received them
        assert [n for i, n in received if i == iid] == [n for i, n in written if i == iid] == list(range(1, 13))


def test_slack_rate_limiting_for_an_hour_loses_nothing_with_the_default_settings(outbox_db, config_factory, db_url):
    from tests.support.fake_chat import fake_server

    with fake_server("slack") as (url, rec):
        cfg = slack_config(config_factory, db_url, url)
        received = talk_through_an_outage(outbox_db, cfg, rec, "429", hours=1)
        assert sum(r["answer"] == "429" for r in rec.requests) >= 200  # it really was asked again and again
    assert_each_delivered_once_in_order(outbox_db, received)
    with session_scope(outbox_db) as s:  # a 429 with Retry-After is not a failed attempt
        assert {m.attempts for m in s.scalars(select(OutboxMessage))} == {1}


@pytest.mark.parametrize("hours", [1, 6])
def test_slack_answering_500_for_hours_loses_nothing_with_the_default_settings(outbox_db, config_factory, db_url, hours):
    from tests.support.fake_chat import fake_server

    with fake_server("slack") as (url, rec):
        cfg = slack_config(config_factory, db_url, url)
        # Six hours at the default 15 s would be 1,440 rounds: a minute apart is enough here.
        received = talk_through_an_outage(outbox_db, cfg, rec, "500", hours=hours,
                                          step=timedelta(seconds=15 if hours == 1 else 60))
        assert any(r["answer"] == "500" for r in rec.requests)
    assert_each_delivered_once_in_order(outbox_db, received)


def test_a_message_failing_for_longer_than_give_up_after_is_marked_failed_with_its_error(outbox_db, config_factory, db_url):
    from alerts.delivery import Deliverer
    from alerts.outbox import enqueue
    from monitor.clock import FixedClock
    from tests.support.alert_samples import incident_note
    from tests.support.fake_chat import fake_server

    with fake_server("slack") as (url, rec):
        cfg = slack_config(config_factory, db_url, url)
        assert cfg.delivery.give_up_after == timedelta(hours=24)
        rec.down = True  # 503 to everything
        with session_scope(outbox_db) as s:
            enqueue(s, [incident_note(key="k1")], cfg, T0)
        d, clock = Deliverer(cfg), FixedClock(T0)

        def state():
            with session_scope(outbox_db) as s:
                m = s.scalars(select(OutboxMessage)).one()
                return m.status, m.last_error

        while clock.now() < T0 + timedelta(hours=23, minutes=50):
            d.deliver_due(outbox_db, clock)
            clock.advance(timedelta(minutes=10))
        assert state()[0] == "pending"  # nearly a day of 503s: still to be sent
        while clock.now() < T0 + timedelta(hours=26):
            d.deliver_due(outbox_db, clock)
            clock.advance(timedelta(minutes=10))
        assert state() == ("failed", "slack pr: HTTP 503 internal_error")


# ---------------------------------------------------------------- the file channel cannot write

def _unwritable_paths(tmp_path: Path) -> list[tuple[str, Path, str]]:
    """(case, path, error): a full disk, a permission denied (tests run as root, for whom a
    chmod 0500 folder is writable: a read-only sysfs attribute refuses even root), and a
    path whose folder is a regular file."""
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    cases = [("disk full", Path("/dev/full"), "No space left on device"),
             ("parent is a file", a_file / "alerts.jsonl", "not-a-folder")]
    denied = Path("/sys/kernel/uevent_seqnum")
    try:
        denied.open("ab").close()
    except PermissionError:
        cases.append(("permission denied", denied, "Permission denied"))
    except OSError:
        pass
    return cases


def test_a_file_channel_that_cannot_write_keeps_its_messages_for_retry_and_the_others_proceed(outbox_db, config_factory,
                                                                                               db_url, tmp_path):
    from alerts.delivery import Deliverer
    from alerts.outbox import enqueue
    from monitor.clock import FixedClock
    from tests.support.alert_samples import incident_note
    from tests.support.fake_chat import fake_server

    cases = _unwritable_paths(tmp_path)
    assert {c for c, _, _ in cases} >= {"disk full", "parent is a file"}
    for n, (case, path, error) in enumerate(cases):
        with fake_server("slack") as (url, rec):
            cfg = slack_config(config_factory, db_url, url, extra=f"  f: {{kind: file, path: '{path}'}}\n")
            key = f"incident:7:status:{n}"
            with session_scope(outbox_db) as s:
                enqueue(s, [incident_note(kind="status_update", incident_id=7, key=key, number=n)], cfg, T0)
            report = Deliverer(cfg).deliver_due(outbox_db, FixedClock(T0))
            assert report.sent == 1 and len([r for r in rec.requests if r["answer"] == "ok"]) == 1, case  # Slack got it
            with session_scope(outbox_db) as s:
                m = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "f",
                                                          OutboxMessage.idempotency_key == key)).one()
                assert m.status == "pending" and m.next_attempt_at > T0, case  # kept for a retry
                assert str(path) in m.last_error and error in m.last_error, (case, m.last_error)
            # Once the operator points the channel somewhere writable, the kept message goes out.
            good = tmp_path / f"ok-{n}.jsonl"
            fixed = slack_config(config_factory, db_url, url, extra=f"  f: {{kind: file, path: '{good}'}}\n")
            Deliverer(fixed).deliver_due(outbox_db, FixedClock(T0 + timedelta(hours=1)))
            assert [json.loads(line)["key"] for line in good.read_text().splitlines()] == [key], case


# ---------------------------------------------------------------- kill -9 of the long-running service

def test_kill_9_of_the_service_mid_crawl_then_restart_loses_nothing_and_stores_nothing_twice(tmp_path, db_url):
    pager = SlowPager(pause=60)
    procs: list[subprocess.Popen] = []
    try:
        path = tmp_path / "config.yaml"
        path.write_text(f"database: {{url: '{db_url}'}}\n"
                        "brands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n"
                        f"sources:\n  - {{id: wb, kind: weibo, keywords: [手镯之家], base_url: '{pager.url}', max_pages: 3, interval: 1h}}\n"
                        "crawl: {download_delay: 0s, autothrottle: false, retry_times: 0}\n"
                        "service: {evaluate_every: 1h, deliver_every: 1h}\n")
        from monitor.config import load_config

        cfg = load_config(path)

        def run() -> subprocess.Popen:
            procs.append(spawn(["run", "--config", str(path)]))
            return procs[-1]

        def count() -> int:
            try:
                return len(stored(cfg))
            except Exception:  # tables not created yet
                return 0

        first = run()
        wait_for(lambda: count() >= 10, 40)
        assert count() == 10  # page 1 is in; page 2 is hanging
        kill_group(first)  # the service, its fork server and the crawl child
        pager.release.set()
        second = run()  # the dead service's lease is taken over at once on this host
        wait_for(lambda: count() >= 20, 40)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
        ids = stored(cfg)
        assert sorted(ids) == sorted({str(p * 100 + i) for p in (1, 2) for i in range(10)})
        assert len(ids) == len(set(ids)) == 20
    finally:
        for p in procs:
            kill_group(p)
        pager.close()
