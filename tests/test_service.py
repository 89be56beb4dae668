"""The always-on service, run as a real process: one instance, hot reload, clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.fake_sources import SlowPager
from tests.support.loopback import Loopback, QuietHandler
from tests.support.processes import REPMON, free_port, kill_group, spawn
from tests.support.waiting import wait_for


DB_URLS: dict[Path, str] = {}  # each folder's database, kept when a test rewrites its config


def write_config(folder: Path, extra_keyword: str = "", source_interval: str = "1h", broken: bool = False,
                 db_url: str | None = None) -> Path:
    if db_url:
        DB_URLS[folder] = db_url
    url = DB_URLS.get(folder, f"sqlite:///{folder / 'svc.db'}")
    sample = folder / "in.jsonl"
    if not sample.exists():
        sample.write_text(json.dumps({"id": "1", "text": "手镯之家的手镯很好看", "published_at": "刚刚"}, ensure_ascii=False) + "\n")
    keywords = "[手镯之家" + (f", {extra_keyword}" if extra_keyword else "") + "]"
    text = f"""
database: {{url: "{url}"}}
brands:
  - id: shouzhuo
    name: 手镯之家
    keywords: {{any: {'[]' if broken else keywords}}}
sources:
  - {{id: local, kind: jsonl, path: {sample}, interval: {source_interval}}}
service:
  reload_check_every: 1s
  evaluate_every: 1h
  deliver_every: 1h
  lease: 30s
"""
    path = folder / "config.yaml"
    path.write_text(text)
    return path


def start(config: Path, log: Path, *extra: str) -> subprocess.Popen:
    """``repmon -v run``; its session holds the service, its fork server and crawl children together."""
    return spawn(["-v", "run", "--config", str(config), *extra], log)


def status(config: Path) -> dict:
    out = subprocess.run([str(REPMON), "status", "--format", "json", "--config", str(config)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture
def service(tmp_path, db_url):
    config = write_config(tmp_path, db_url=db_url)
    log = tmp_path / "service.log"
    proc = start(config, log)
    try:
        assert wait_for(lambda: status(config)["running"]), log.read_text()
        yield proc, config, log
    finally:
        kill_group(proc)


def test_a_second_scheduler_on_the_same_database_refuses_to_start(service):
    _, config, _ = service
    second = subprocess.run([str(REPMON), "run", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert second.returncode == 1
    assert "another repmon scheduler is running against this database" in second.stderr


def test_sigterm_finishes_cleanly_and_frees_the_lease(service):
    proc, config, log = service
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, log.read_text()
    assert "repmon service stopped" in log.read_text()
    assert status(config)["running"] is False


def test_an_invalid_config_edit_is_rejected_with_field_paths_and_monitoring_goes_on(service):
    proc, config, log = service
    write_config(config.parent, broken=True)
    assert wait_for(lambda: "config edit rejected" in log.read_text()), log.read_text()
    assert "brands[0].keywords.any: must be a non-empty list" in log.read_text()
    assert proc.poll() is None
    write_config(config.parent, extra_keyword="手镯家")  # the fix is picked up too
    assert wait_for(lambda: "config reloaded" in log.read_text()), log.read_text()
    assert status(config)["running"]


def test_a_stale_lease_of_a_killed_service_is_taken_over(service):
    proc, config, log = service
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    again = start(config, config.parent / "again.log")
    try:
        assert wait_for(lambda: status(config)["running"] and status(config)["pid"] == again.pid)
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=30)


def test_a_standby_scheduler_waits_and_takes_over_when_the_first_dies(service):
    proc, config, log = service
    standby_log = config.parent / "standby.log"
    standby = start(config, standby_log, "--standby")
    try:
        assert wait_for(lambda: "standing by" in standby_log.read_text()), standby_log.read_text()
        assert standby.poll() is None and status(config)["pid"] == proc.pid  # it waits, it does not run
        kill_group(proc)
        # It polls the lease every service.lease / 6 (5 s here); a dead holder on this host is replaced at once.
        assert wait_for(lambda: status(config)["running"] and status(config)["pid"] == standby.pid), standby_log.read_text()
        assert "took over as the scheduler" in standby_log.read_text()
    finally:
        standby.send_signal(signal.SIGTERM)
        standby.wait(timeout=30)


def test_the_service_crawls_its_sources_on_start(service):
    _, config, log = service
    from sqlalchemy import create_engine, text

    engine = create_engine(DB_URLS[config.parent])

    def stored() -> int:
        with engine.connect() as c:
            return c.execute(text("select count(*) from mentions")).scalar()

    assert wait_for(stored, timeout=30), log.read_text()
    engine.dispose()


# ---------------------------------------------------------------- helpers for the tests below

def lock_row(db_url: str) -> dict | None:
    """The service lease as stored: holder, pid, heartbeat and the published status."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            row = c.execute(text("select holder, pid, heartbeat_at, info from service_locks where name = 'service'")).first()
    except Exception:  # not migrated yet
        row = None
    finally:
        engine.dispose()
    if row is None:
        return None
    info = row[3] if isinstance(row[3], dict) else json.loads(row[3] or "{}")
    return {"holder": row[0], "pid": row[1], "heartbeat_at": row[2], "info": info}


def query(db_url: str, sql: str) -> list[tuple]:
    """Rows of ``sql``; none while the service has not created its tables yet."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(text(sql))]
    except (OperationalError, ProgrammingError):
        return []
    finally:
        engine.dispose()


class DelayedFeed:
    """A JSON-lines feed per path (/a, /b ...) that answers only after ``delay`` seconds."""

    def __init__(self, delay: float):
        outer = self
        self.requests: list[str] = []

        class Handler(QuietHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                time.sleep(delay)  # a slow site: what the test is about
                name = self.path.strip("/")
                body = (json.dumps({"id": f"{name}-1", "text": f"手镯之家 {name}", "published_at": "刚刚"}, ensure_ascii=False)
                        + "\n").encode()
                self.answer(200, body, content_type=None)

        self.server = Loopback(Handler)
        self.url = self.server.url

    def close(self) -> None:
        self.server.close()


def second_instance_refused(config: Path) -> bool:
    """Whether a second ``repmon run`` exits at once saying another scheduler runs (not: takes over)."""
    second = subprocess.Popen([str(REPMON), "run", "--config", str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, start_new_session=True)
    try:
        _, err = second.communicate(timeout=30)
    except subprocess.TimeoutExpired:  # it is running: it took the lease
        kill_group(second)
        return False
    return second.returncode == 1 and "another repmon scheduler is running against this database" in err


# ---------------------------------------------------------------- one instance, whatever the load

def test_more_slow_crawls_than_crawl_threads_never_cost_the_service_its_lease(tmp_path, db_url):
    """Six sources answering after 6 s, two crawl threads and a 3 s lease: the crawls queue,
    while the heartbeat, evaluation and delivery go on and a second instance stays refused."""
    feed = DelayedFeed(delay=6)
    config = tmp_path / "config.yaml"
    sources = "\n".join(f"  - {{id: s{i}, kind: jsonl, url: '{feed.url}/s{i}', interval: 1h}}" for i in range(6))
    config.write_text(f"""
database: {{url: "{db_url}"}}
brands:
  - {{id: shouzhuo, name: 手镯之家, keywords: {{any: [手镯之家]}}}}
sources:
{sources}
crawl: {{retry_times: 0, download_delay: 0s}}
service: {{lease: 3s, evaluate_every: 1s, deliver_every: 1s, reload_check_every: 1s, crawl_concurrency: 2}}
""")
    log = tmp_path / "service.log"
    proc = start(config, log)
    try:
        assert wait_for(lambda: (lock_row(db_url) or {}).get("pid") == proc.pid, 30), log.read_text()
        assert wait_for(lambda: len(feed.requests) >= 2, 30), log.read_text()  # both crawl threads are busy
        assert second_instance_refused(config), log.read_text()
        holder = lock_row(db_url)["holder"]
        first = lock_row(db_url)["info"]
        seen_cycles, seen_deliveries = set(), set()
        end = time.monotonic() + 9  # three leases
        while time.monotonic() < end:
            row = lock_row(db_url)
            assert row["holder"] == holder and proc.poll() is None, log.read_text()
            seen_cycles.add(row["info"].get("last_cycle_at"))
            seen_deliveries.add(row["info"].get("last_delivery_at"))
            time.sleep(0.5)
        assert second_instance_refused(config), log.read_text()
        assert lock_row(db_url)["holder"] == holder and proc.poll() is None
        # Evaluation and delivery kept their one-second rhythm while every crawl thread waited.
        assert len(seen_cycles - {None, first.get("last_cycle_at")}) >= 4, seen_cycles
        assert len(seen_deliveries - {None, first.get("last_delivery_at")}) >= 4, seen_deliveries
        assert "maximum number of running instances" not in log.read_text()
        # The crawls were queued, not dropped: all six sources are fetched in the end.
        assert wait_for(lambda: len(query(db_url, "select id from mentions")) == 6, 40), log.read_text()
    finally:
        kill_group(proc)
        feed.close()


def test_losing_the_lease_stops_the_service_with_a_non_zero_exit(tmp_path, db_url):
    config = write_config(tmp_path, db_url=db_url)
    config.write_text(config.read_text().replace("lease: 30s", "lease: 2s"))
    log = tmp_path / "service.log"
    proc = start(config, log)
    try:
        assert wait_for(lambda: (lock_row(db_url) or {}).get("pid") == proc.pid, 30), log.read_text()
        # Another process took the lease over (as one would after this one stalled).
        query_engine_update(db_url, "update service_locks set holder = 'elsewhere:1::x', host = 'elsewhere', pid = 1")
        assert proc.wait(timeout=20) == 1, log.read_text()
        assert "lost the service lease" in log.read_text()
        assert lock_row(db_url)["holder"] == "elsewhere:1::x"  # left alone: it is not ours
    finally:
        kill_group(proc)


def query_engine_update(db_url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as c:
        c.execute(text(sql))
    engine.dispose()


# ---------------------------------------------------------------- shutdown

def test_sigterm_stops_a_hanging_crawl_within_the_stop_timeout_and_keeps_what_it_stored(tmp_path, db_url):
    pager = SlowPager(pause=120)
    config = tmp_path / "config.yaml"
    config.write_text(f"""
database: {{url: "{db_url}"}}
brands:
  - {{id: s, name: 手镯之家, keywords: {{any: [手镯之家]}}}}
sources:
  - {{id: wb, kind: weibo, keywords: [手镯之家], base_url: '{pager.url}', max_pages: 3, interval: 1h}}
crawl: {{download_delay: 0s, autothrottle: false, retry_times: 0}}
service: {{stop_timeout: 3s, evaluate_every: 1h, deliver_every: 1h}}
""")
    log = tmp_path / "service.log"
    proc = start(config, log)
    try:
        # Page 1 is stored; page 2 hangs (for two minutes, far beyond the stop timeout).
        assert wait_for(lambda: len(query(db_url, "select id from mentions")) == 10, 40), log.read_text()
        proc.send_signal(signal.SIGTERM)
        began = time.monotonic()
        assert proc.wait(timeout=30) == 0, log.read_text()
        assert time.monotonic() - began < 3 + 10, log.read_text()
        text = log.read_text()
        assert "asking the crawl of wb to close" in text and "repmon service stopped" in text
        assert len(query(db_url, "select id from mentions")) == 10  # the partial crawl stays stored
        after = status(config)
        assert lock_row(db_url)["info"] is not None and after["running"] is False
        # The run the shutdown cut short is closed, but the source did nothing wrong.
        assert query(db_url, "select count(*) from source_runs where finished_at is null") == [(0,)]
        assert after["failing_sources"] == []
    finally:
        kill_group(proc)
        pager.close()


# ---------------------------------------------------------------- status and evaluation after new mentions

def test_new_mentions_are_evaluated_at_once_and_status_shows_the_cycle_without_waiting_for_a_heartbeat(tmp_path, db_url):
    config = write_config(tmp_path, db_url=db_url)
    # A heartbeat every 60 s; the cycle must come well before it, with room for a loaded
    # machine's start-up (the first crawl loads the sentiment models).
    config.write_text(config.read_text().replace("lease: 30s", "lease: 240s"))
    log = tmp_path / "service.log"
    proc = start(config, log)
    try:
        started = time.monotonic()
        # evaluate_every is an hour: only the new mention can have started this cycle.
        assert wait_for(lambda: status(config)["last_cycle"] is not None, 45), log.read_text()
        assert time.monotonic() - started < 45
        shown = status(config)
        assert shown["last_crawl"] is not None
        text = subprocess.run([str(REPMON), "status", "--config", str(config)], capture_output=True, text=True).stdout
        assert f"last cycle: {shown['last_cycle']}" in text and "last crawl: 20" in text
        assert query(db_url, "select count(*) from mentions") == [(1,)]
    finally:
        kill_group(proc)


# ---------------------------------------------------------------- hot reload, in earnest

def reload_config(folder: Path, db_url: str, keywords: str, repost_threshold: int, broken: bool = False) -> Path:
    path = folder / "config.yaml"
    path.write_text(f"""
database: {{url: "{db_url}"}}
brands:
  - id: shouzhuo
    name: 手镯之家
    keywords: {{any: {'[]' if broken else keywords}}}
sources:
  - {{id: local, kind: jsonl, path: {folder / 'in.jsonl'}, interval: 2s}}
incidents: {{repost_threshold: {repost_threshold}}}
channels:
  ops-file: {{kind: file, path: {folder / 'ops.jsonl'}}}
routes: {{ops: [ops-file], yellow: [ops-file], orange: [ops-file], red: [ops-file]}}
service: {{reload_check_every: 1s, evaluate_every: 1h, deliver_every: 1s, lease: 30s}}
""")
    return path


def add_post(folder: Path, post_id: str, text: str, reposts: int = 0) -> None:
    from datetime import datetime, timezone

    with (folder / "in.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": post_id, "text": text, "reposts": reposts,
                            "published_at": datetime.now(timezone.utc).isoformat()}, ensure_ascii=False) + "\n")


def crawls(db_url: str) -> int:
    return int((lock_row(db_url) or {}).get("info", {}).get("crawls") or 0)


def test_a_valid_edit_puts_new_keywords_and_thresholds_to_use(tmp_path, db_url):
    add_post(tmp_path, "old", "手镯之家的手镯断裂了，质量太差", reposts=80)
    config = reload_config(tmp_path, db_url, "[手镯之家]", repost_threshold=1000)
    log = tmp_path / "service.log"
    proc = start(config, log)
    try:
        assert wait_for(lambda: ("old",) in query(db_url, "select external_id from mentions"), 30), log.read_text()
        add_post(tmp_path, "new", "手镯家新款的扣子断了，质量太差", reposts=80)  # only the new keyword matches
        seen = crawls(db_url)
        assert wait_for(lambda: crawls(db_url) >= seen + 2, 20), log.read_text()
        assert ("new",) not in query(db_url, "select external_id from mentions")
        assert query(db_url, "select count(*) from incidents") == [(0,)]  # 80 reposts < 1000
        reload_config(tmp_path, db_url, "[手镯之家, 手镯家]", repost_threshold=50)
        assert wait_for(lambda: "config reloaded" in log.read_text(), 20), log.read_text()
        assert wait_for(lambda: ("new",) in query(db_url, "select external_id from mentions"), 20), log.read_text()
        assert wait_for(lambda: query(db_url, "select count(*) from incidents") == [(1,)], 20), log.read_text()
        assert proc.poll() is None
    finally:
        kill_group(proc)


def test_an_invalid_edit_sends_an_ops_notice_and_the_running_config_stays(tmp_path, db_url):
    add_post(tmp_path, "p1", "手镯之家很好看")
    config = reload_config(tmp_path, db_url, "[手镯之家]", repost_threshold=50)
    log = tmp_path / "service.log"
    proc = start(config, log)
    try:
        assert wait_for(lambda: ("p1",) in query(db_url, "select external_id from mentions"), 30), log.read_text()
        reload_config(tmp_path, db_url, "[手镯之家]", repost_threshold=50, broken=True)
        assert wait_for(lambda: "config edit rejected" in log.read_text(), 20), log.read_text()

        def notices() -> list[dict]:
            path = tmp_path / "ops.jsonl"
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            return [n for n in map(json.loads, lines) if n["kind"] == "ops_notice"]

        assert wait_for(lambda: notices(), 20), log.read_text()
        [notice] = notices()
        assert notice["title"] == "【运维通知】config.yaml 的修改有错误，未被采用；仍按原配置运行"
        assert "brands[0].keywords.any: must be a non-empty list" in notice["text"]
        # Monitoring goes on with the old keywords.
        add_post(tmp_path, "p2", "手镯之家的新款")
        assert wait_for(lambda: ("p2",) in query(db_url, "select external_id from mentions"), 20), log.read_text()
        assert proc.poll() is None and lock_row(db_url)["pid"] == proc.pid
    finally:
        kill_group(proc)


# ---------------------------------------------------------------- the schedule itself (in-process)

@contextmanager
def in_process_service(tmp_path, config_text: str):
    """A Service in this process whose scheduler is started paused (real next run times,
    nothing runs); shut down and its engine disposed afterwards."""
    from monitor.config import load_config
    from monitor.service import Service

    path = tmp_path / "config.yaml"
    path.write_text(config_text)
    svc = Service(path, load_config(path))
    svc.scheduler.start(paused=True)
    try:
        yield svc
    finally:
        svc.scheduler.shutdown(wait=False)
        svc.engine.dispose()


def schedule_config(db_url: str, evaluate_every: str = "1m", keywords: str = "[手镯之家]") -> str:
    return f"""
database: {{url: "{db_url}"}}
brands:
  - {{id: shouzhuo, name: 手镯之家, keywords: {{any: {keywords}}}}}
sources:
  - {{id: a, kind: jsonl, path: a.jsonl, interval: 5m}}
  - {{id: b, kind: jsonl, path: b.jsonl, interval: 1h}}
digest: {{time: "09:30"}}
service: {{evaluate_every: {evaluate_every}}}
"""


def test_every_job_has_its_fixed_id_coalesces_and_runs_once_at_a_time_and_crawls_have_their_own_threads(tmp_path, db_url):
    with in_process_service(tmp_path, schedule_config(db_url)) as svc:
        svc._schedule_all()
        jobs = {j.id: j for j in svc.scheduler.get_jobs()}
        assert set(jobs) == {"source:a", "source:b", "evaluate", "deliver", "config-watch", "retention", "digest",
                             "digest-catch-up"}
        assert all(j.coalesce is True and j.max_instances == 1 for j in jobs.values())
        crawl_executors = {jobs[i].executor for i in ("source:a", "source:b")}
        assert len(crawl_executors) == 1 and "default" not in crawl_executors
        assert all(j.executor == "default" for i, j in jobs.items() if not i.startswith("source:"))
        assert svc._crawl_threads == 2  # one per enabled source


def test_a_config_edit_reschedules_only_the_jobs_whose_timing_changed_and_retention_runs_soon_after_start(tmp_path, db_url):
    from datetime import datetime, timedelta, timezone

    from monitor.config import parse_config

    with in_process_service(tmp_path, schedule_config(db_url)) as svc:
        svc._schedule_all()
        before = {j.id: j.next_run_time for j in svc.scheduler.get_jobs()}
        assert before["retention"] - datetime.now(timezone.utc) <= timedelta(minutes=1)
        time.sleep(0.05)  # kept on purpose: time moves, so a job rescheduled by mistake would show a new next run time
        svc.apply_config(parse_config(schedule_config(db_url, evaluate_every="2m", keywords="[手镯之家, 手镯家]"),
                                      base_dir=tmp_path))
        after = {j.id: j.next_run_time for j in svc.scheduler.get_jobs()}
        assert after["evaluate"] != before["evaluate"]  # its interval changed
        for job_id in ("deliver", "config-watch", "retention", "digest", "source:a", "source:b"):
            assert after[job_id] == before[job_id], job_id


def test_a_trigger_while_the_job_runs_waits_for_it_to_finish_instead_of_being_skipped(tmp_path, db_url):
    from datetime import datetime, timedelta, timezone

    with in_process_service(tmp_path, schedule_config(db_url)) as svc:
        svc._schedule_all()
        planned = svc.scheduler.get_job("evaluate").next_run_time
        assert planned - datetime.now(timezone.utc) > timedelta(seconds=30)
        svc._running.add("evaluate")  # an evaluation is under way
        svc.trigger("evaluate")  # new mentions arrive meanwhile
        svc._apply_pending()
        # Moved to "now" while running, the run would be skipped as a second instance.
        assert svc.scheduler.get_job("evaluate").next_run_time == planned
        svc._running.discard("evaluate")
        svc._apply_pending()  # the main loop's next pass, after the run finished
        assert svc.scheduler.get_job("evaluate").next_run_time - datetime.now(timezone.utc) < timedelta(seconds=1)


def test_more_sources_after_an_edit_get_more_crawl_threads(tmp_path, db_url):
    from monitor.config import parse_config

    with in_process_service(tmp_path, schedule_config(db_url)) as svc:
        svc._schedule_all()
        more = schedule_config(db_url).replace("digest:", "  - {id: c, kind: jsonl, path: c.jsonl}\ndigest:")
        svc.apply_config(parse_config(more, base_dir=tmp_path))
        jobs = {j.id: j for j in svc.scheduler.get_jobs()}
        assert svc._crawl_threads == 3
        assert {jobs[f"source:{i}"].executor for i in "abc"} == {svc._crawl_executor}
        assert svc._crawl_executor in svc.scheduler._executors and len(svc.scheduler._executors) == 2


def test_retention_prunes_old_mentions_and_their_snapshots_and_keeps_incidents_and_digests(tmp_path, db_url):
    from datetime import datetime, timedelta, timezone

    from monitor.clock import FixedClock
    from monitor.config import load_config
    from monitor.models import EngagementSnapshot, Incident, IncidentEvent, Mention, OutboxMessage
    from monitor.service import Service

    now = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
    path = tmp_path / "config.yaml"
    path.write_text(schedule_config(db_url).replace("service: {evaluate_every: 1m}", "service: {retention: 30d}"))
    svc = Service(path, load_config(path), clock=FixedClock(now))
    from monitor.db import session_scope

    try:
        with session_scope(svc.factory) as s:
            for ext, age in (("old", 31), ("older", 400), ("recent", 29)):
                at = now - timedelta(days=age)
                m = Mention(source_id="a", external_id=ext, text="手镯之家", published_at=at, fetched_at=at, first_seen_at=at,
                            brand="shouzhuo")
                m.snapshots.append(EngagementSnapshot(taken_at=at, reposts=1))
                s.add(m)
            inc = Incident(brand="shouzhuo", cause="quality", status="resolved", tier="red", opened_at=now - timedelta(days=90),
                           updated_at=now - timedelta(days=89), figures={})
            s.add(inc)
            s.flush()
            s.add(IncidentEvent(incident_id=inc.id, at=now - timedelta(days=90), kind="opened", detail={}))
            s.add(OutboxMessage(created_at=now - timedelta(days=60), channel="f", kind="digest", idempotency_key="digest:x",
                                payload={}, status="sent", attempts=1, next_attempt_at=now - timedelta(days=60)))
        assert svc.prune() == 2
        with session_scope(svc.factory) as s:
            assert [m.external_id for m in s.query(Mention)] == ["recent"]
            assert s.query(EngagementSnapshot).count() == 1
            assert s.query(Incident).count() == 1 and s.query(IncidentEvent).count() == 1
            assert s.query(OutboxMessage).count() == 1
    finally:
        svc.engine.dispose()


# ---------------------------------------------------------------- logs

def test_a_crawl_child_logs_json_lines_when_asked(tmp_path):
    port = free_port()  # nothing listens on it: the child logs the failed download
    config = tmp_path / "config.yaml"
    config.write_text(f"""
database: {{url: "sqlite:///{tmp_path / 'x.db'}"}}
brands:
  - {{id: s, name: 手镯之家, keywords: {{any: [手镯之家]}}}}
sources:
  - {{id: feed, kind: jsonl, url: "http://127.0.0.1:{port}/feed.jsonl"}}
crawl: {{retry_times: 0, download_delay: 0s}}
""")
    out = subprocess.run([str(REPMON), "--log-json", "-v", "crawl", "feed", "--config", str(config)], capture_output=True,
                         text=True, timeout=120)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert lines, out.stdout + out.stderr
    entries = [json.loads(line) for line in lines]  # every line, the child's too, is JSON
    assert any(e["logger"].startswith("scrapy") for e in entries), lines
