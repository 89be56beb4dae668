"""The always-on service behind ``repmon run``: APScheduler jobs around the pipeline.

Jobs (fixed ids; misfires coalesce; never two runs of one job at once):

- ``source:<id>``  — crawl one source on its own interval (in a child process);
  new mentions trigger ``evaluate`` at once.
- ``evaluate``     — incidents, tiers and the four-hour clock; notifications to the outbox.
- ``deliver``      — outbox delivery with retries.
- ``digest``       — the managers' daily digest at the configured local time.
- ``retention``    — prune mentions older than ``service.retention`` (a minute after
  start, then every six hours).
- ``config-watch`` — apply a valid edit of config.yaml; reject an invalid one.

Crawls run on an executor of their own (``service.crawl_concurrency`` threads, default
one per enabled source), the other jobs on another: a crawl waits on its child process
for up to ``crawl_timeout``, and slow sources must never keep evaluation or delivery
waiting. The single-instance lease is renewed by a ``heartbeat`` thread that does
nothing else, so no amount of work can let the lease lapse; the status ``repmon status``
shows is published after every crawl, evaluation and delivery round.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, select

from alerts.delivery import Deliverer
from alerts.outbox import enqueue
from crawlers.runner import crawl
from monitor.clock import Clock, SystemClock
from monitor.config import Config, ConfigError, load_config
from monitor.db import session_scope
from monitor.cycle import evaluate_and_enqueue
from monitor.digest import catch_up_digests, send_digests
from monitor.lock import Lease, LockHeld
from monitor.migrate import open_database
from monitor.models import EngagementSnapshot, Mention
from monitor.notifications import Notification
from monitor.source_health import close_round, open_run

log = logging.getLogger("repmon.service")

# evaluate, deliver, config-watch, retention, digest, digest catch-up: one thread each,
# so a slow job (a channel timing out) never makes another one skip its turn.
FIXED_THREADS = 6
RETENTION_EVERY = timedelta(hours=6)
# Soon after start, so a service restarted (or reconfigured) more often than every six
# hours still prunes.
RETENTION_FIRST_RUN = timedelta(minutes=1)
LOST_LEASE_EXIT = 1


@dataclass
class ServiceStatus:
    """What the service publishes through its lease for ``repmon status``."""

    started_at: str
    pid: int
    config_loaded_at: str
    last_cycle_at: str | None = None
    last_cycle_seconds: float | None = None
    last_delivery_at: str | None = None
    last_crawl_at: str | None = None
    cycles: int = 0
    crawls: int = 0
    config_rejected: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _same_trigger(a: Any, b: Any) -> bool:
    """Whether two triggers fire alike (interval length, or cron fields and zone)."""
    return type(a) is type(b) and str(a) == str(b) and str(getattr(a, "timezone", "")) == str(getattr(b, "timezone", ""))


class Service:
    """One scheduler/evaluator process. ``start()`` then ``wait()``; ``stop()`` from anywhere."""

    def __init__(self, config_path: Path, config: Config, clock: Clock | None = None):
        self.config_path = Path(config_path)
        self.config = config
        self.clock = clock or SystemClock()
        self.engine, self.factory = open_database(config)
        self.lease = Lease(self.factory, self.clock, lease=config.service.lease)
        self._crawl_threads = self._wanted_crawl_threads()
        self._crawl_executor = f"crawls-{self._crawl_threads}"
        self._crawl_pool = ThreadPoolExecutor(max_workers=self._crawl_threads)
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=FIXED_THREADS), self._crawl_executor: self._crawl_pool},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            timezone=config.tz,
        )
        self._config_digest = _file_digest(self.config_path)
        self._stopping = threading.Event()
        # Asks running crawls to close; set on stop.
        self._stop_crawls = threading.Event()
        # The heartbeat goes on while stopping (running jobs may take up to stop_timeout)
        # and ends only when the lease is released.
        self._heartbeat_done = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.exit_code = 0
        self.unfinished = False  # jobs still running when the stop timeout ran out
        now = self.clock.now().isoformat()
        self.status = ServiceStatus(started_at=now, pid=self.lease.pid, config_loaded_at=now)
        self._lock = threading.Lock()
        self._triggers: set[str] = set()
        self._running: set[str] = set()  # jobs running now (see _apply_pending)
        self._pending_config: Config | None = None
        self._started = False
        self._deliverer: Any = None
        # One crawl per source at a time, even while a job moves between executors.
        self._crawling: set[str] = set()

    # ------------------------------------------------------------------ lifecycle

    def start(self, standby: bool = False) -> None:
        """Take the lease (or raise LockHeld; with ``standby``, wait for it), schedule every job and start."""
        if standby:
            self._wait_for_lease()
        else:
            self.lease.acquire()
        self._started = True
        self._heartbeat = threading.Thread(target=self._heartbeat_loop, name="repmon-heartbeat", daemon=True)
        self._heartbeat.start()
        self._schedule_all()
        self.scheduler.start()
        self.publish_status()
        log.info("repmon service started (pid %s): %d source(s), %d crawl thread(s)",
                 self.lease.pid, len(self._sources()), self._crawl_threads)

    def _wait_for_lease(self) -> None:
        announced = False
        while not self._stopping.is_set():
            try:
                self.lease.acquire()
                if announced:
                    log.warning("took over as the scheduler (the previous one stopped or died)")
                return
            except LockHeld as exc:
                if not announced:
                    log.warning("standing by: %s", exc)
                    announced = True
            self._stopping.wait(max(1.0, self.config.service.lease.total_seconds() / 6))
        raise SystemExit(0)

    def wait(self) -> int:
        """Block until :meth:`stop` (or SIGTERM / SIGINT); returns the exit code.

        Non-zero when the service stopped because it lost its lease: something is wrong
        (another scheduler took over), and a supervisor should know.
        """
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self._stopping.set())
        while not self._stopping.wait(0.5):
            self._apply_pending()
        self.stop()
        return self.exit_code

    def stop(self) -> None:
        """Ask running crawls to close, let in-flight jobs finish (within ``stop_timeout``), release the lease."""
        self._stopping.set()
        self._stop_crawls.set()
        if self.scheduler.running:
            limit = self.config.service.stop_timeout.total_seconds()
            log.info("stopping: asking running crawls to close; waiting up to %.0f s for running jobs", limit)
            finished = threading.Event()

            def shutdown() -> None:
                self.scheduler.shutdown(wait=True)
                finished.set()

            threading.Thread(target=shutdown, name="repmon-shutdown", daemon=True).start()
            # A crawl is stopped at stop_timeout; the margin covers its child's exit and a
            # delivery's network timeout.
            if not finished.wait(limit + 20):
                self.unfinished = True
                log.error("stopping: jobs still running after %.0f s; exiting without them", limit + 20)
        self._heartbeat_done.set()
        try:
            if self.exit_code != LOST_LEASE_EXIT:
                self.lease.release()
        finally:
            self.engine.dispose()
        log.info("repmon service stopped")

    def _heartbeat_interval(self) -> float:
        # Four renewals per lease: one slow database round trip cannot make it lapse.
        return max(0.25, self.config.service.lease.total_seconds() / 4)

    def _heartbeat_loop(self) -> None:
        while not self._heartbeat_done.wait(self._heartbeat_interval()):
            self.renew_lease()

    def renew_lease(self) -> bool:
        """Refresh the lease's heartbeat; on losing the lease, stop with a non-zero exit code."""
        try:
            held = self.lease.renew()
        except Exception as exc:  # the database is briefly unreachable: try again next beat
            log.warning("could not renew the service lease (%s); retrying", exc.__class__.__name__)
            return True
        if not held:
            self._lost_lease()
        return held

    def _lost_lease(self) -> None:
        if self.exit_code == LOST_LEASE_EXIT:
            return
        self.exit_code = LOST_LEASE_EXIT
        self._heartbeat_done.set()
        log.error("lost the service lease to another process; stopping (exit code %d)", LOST_LEASE_EXIT)
        self._stopping.set()

    def publish_status(self) -> None:
        """Store the status for ``repmon status`` (after every crawl, evaluation and delivery round)."""
        if not self._started:
            return
        with self._lock:
            info = dict(self.status.__dict__)
        try:
            held = self.lease.publish(info)
        except Exception as exc:
            log.warning("could not publish the service status (%s)", exc.__class__.__name__)
            return
        if not held:
            self._lost_lease()

    # ------------------------------------------------------------------ scheduling

    def _sources(self) -> list:
        return [s for s in self.config.sources if s.enabled]

    def _wanted_crawl_threads(self) -> int:
        return self.config.service.crawl_concurrency or max(1, len(self._sources()))

    def _schedule_all(self) -> None:
        for src in self._sources():
            self._add_source_job(src)
        self._schedule_fixed_jobs()
        # Once, at start: a digest missed while the service was down is sent now.
        self._add("digest-catch-up", self.catch_up_digests, None, next_run_time=datetime.now(timezone.utc))

    def _schedule_fixed_jobs(self) -> None:
        """Every job but the sources; after a reload only those whose timing changed are rescheduled.

        Re-adding a job restarts its interval: done on every edit, a job with a long
        interval (retention) would never run, and the others would skip turns.
        """
        svc = self.config.service
        self._ensure("evaluate", self.evaluate, IntervalTrigger(seconds=svc.evaluate_every.total_seconds()))
        self._ensure("deliver", self.deliver, IntervalTrigger(seconds=svc.deliver_every.total_seconds()))
        self._ensure("config-watch", self.check_config, IntervalTrigger(seconds=svc.reload_check_every.total_seconds()))
        self._ensure("retention", self.prune, IntervalTrigger(seconds=RETENTION_EVERY.total_seconds()),
                     next_run_time=datetime.now(timezone.utc) + RETENTION_FIRST_RUN)
        digest_time = self._digest_time()
        if digest_time is not None:
            hour, minute = digest_time
            self._ensure("digest", self.daily_digest, CronTrigger(hour=hour, minute=minute, timezone=self.config.tz))
        elif self.scheduler.get_job("digest") is not None:
            self.scheduler.remove_job("digest")

    def _ensure(self, job_id: str, func: Callable[[], Any], trigger: Any, **kw: Any) -> None:
        job = self.scheduler.get_job(job_id)
        if job is not None and _same_trigger(job.trigger, trigger):
            return
        self._add(job_id, func, trigger, **kw)

    def _digest_time(self) -> tuple[int, int] | None:
        digest = getattr(self.config, "digest", None)
        at = getattr(digest, "time", None)
        if not at:
            return None
        hour, minute = str(at).split(":")[:2]
        return int(hour), int(minute)

    def _add(self, job_id: str, func: Callable[[], Any], trigger: Any, **kw: Any) -> None:
        self.scheduler.add_job(self._guard(job_id, func), trigger, id=job_id, name=job_id, replace_existing=True, **kw)

    def _add_source_job(self, src: Any) -> None:
        # First run straight away: a newly added source should not wait a whole interval.
        self._add(
            f"source:{src.id}",
            lambda sid=src.id: self.crawl_source(sid),
            IntervalTrigger(seconds=src.interval.total_seconds()),
            next_run_time=datetime.now(timezone.utc),
            executor=self._crawl_executor,
        )

    def _resize_crawl_executor(self) -> None:
        """Give the crawls a pool of the size the new config asks for; running crawls finish where they are."""
        wanted = self._wanted_crawl_threads()
        if wanted == self._crawl_threads:
            return
        old, old_pool = self._crawl_executor, self._crawl_pool
        # A fresh alias each time: a job is never pointed at a pool that is going away.
        self._resized = getattr(self, "_resized", 0) + 1
        alias, pool = f"crawls-{wanted}-{self._resized}", ThreadPoolExecutor(max_workers=wanted)
        self.scheduler.add_executor(pool, alias)
        self._crawl_executor, self._crawl_pool, self._crawl_threads = alias, pool, wanted
        for job in self.scheduler.get_jobs():
            if job.id.startswith("source:"):
                job.modify(executor=alias)
        self.scheduler.remove_executor(old, shutdown=False)
        old_pool.shutdown(wait=False)  # its running crawls go on to their end
        log.info("crawl threads: %d", wanted)

    def _guard(self, job_id: str, func: Callable[[], Any]) -> Callable[[], None]:
        """A job never kills the scheduler: its failure is logged and the next run comes."""

        def run() -> None:
            if self._stopping.is_set() and job_id != "deliver":
                return
            with self._lock:
                self._running.add(job_id)
            try:
                func()
            except Exception:
                log.exception("job %s failed", job_id)
            finally:
                with self._lock:
                    self._running.discard(job_id)

        return run

    # ------------------------------------------------------------------ jobs

    def crawl_source(self, source_id: str) -> None:
        """Crawl one source (or, distributed, seed its next round); new mentions trigger an evaluation."""
        try:
            source = self.config.source(source_id)
        except KeyError:
            return  # removed by a reload while queued
        with self._lock:
            if source_id in self._crawling:
                return
            self._crawling.add(source_id)
        try:
            if self.config.distributed.redis_url:
                # Only distributed mode needs scrapy-redis (and Scrapy with it) in the scheduler.
                from crawlers.distributed import distributable

                if distributable(source):
                    self.seed_source(source_id)
                    return
            [result] = crawl(self.config, [source], timeout=self.config.service.crawl_timeout.total_seconds(),
                             stop=self._stop_crawls, stop_grace=self.config.service.stop_timeout.total_seconds(),
                             factory=self.factory)
        finally:
            with self._lock:
                self._crawling.discard(source_id)
        with self._lock:
            self.status.crawls += 1
            self.status.last_crawl_at = self.clock.now().isoformat()
        if result.ok:
            log.info("source %s: %d new, %d updated, %d dropped", source_id, result.new, result.updated, result.dropped)
        else:
            log.warning("source %s failed: %s", source_id, result.error)
        self.publish_status()
        if result.new or result.updated:
            self.trigger("evaluate")

    def seed_source(self, source_id: str) -> None:
        """Distributed mode: close the previous round's health record and seed the next round."""
        from crawlers.distributed import keys, redis_client, round_done, seed_round

        now = self.clock.now()
        r = redis_client(self.config)
        done = round_done(r, self.config, source_id)
        previous = r.hgetall(keys(self.config, source_id)["round"])
        seeded = seed_round(r, self.config, source_id, now)
        with session_scope(self.factory) as s:
            if done or seeded:
                close_round(s, source_id, now, done, previous.get("id"))
            if seeded:
                open_run(s, source_id, now, stats={"round": seeded["id"], "full": seeded["full"]})
        with self._lock:
            self.status.crawls += 1
            self.status.last_crawl_at = now.isoformat()
        self.publish_status()
        # Workers store mentions without telling us: evaluate after every round.
        if done:
            self.trigger("evaluate")

    def trigger(self, job_id: str) -> None:
        """Run a job as soon as possible (its schedule continues afterwards).

        Only noted here and applied by the main loop: a job that modified the schedule
        itself could deadlock with a shutdown waiting for that very job.
        """
        with self._lock:
            self._triggers.add(job_id)

    def _apply_pending(self) -> None:
        """The main loop's part: apply a validated config edit and run triggered jobs."""
        with self._lock:
            new_config, self._pending_config = self._pending_config, None
        if new_config is not None:
            self.apply_config(new_config)
        with self._lock:
            # A job still running is triggered once it has finished (the next pass of the main
            # loop): moved to "now" while it runs, APScheduler would skip the run as a second
            # instance, and the new mentions would wait for the next interval.
            pending = self._triggers - self._running
            self._triggers &= self._running
        for job_id in pending:
            job = self.scheduler.get_job(job_id)
            if job is not None:
                job.modify(next_run_time=datetime.now(timezone.utc))

    def evaluate(self) -> None:
        started = time.monotonic()
        report = evaluate_and_enqueue(self.config, self.factory, self.clock)
        elapsed = time.monotonic() - started
        with self._lock:
            self.status.cycles += 1
            self.status.last_cycle_at = self.clock.now().isoformat()
            self.status.last_cycle_seconds = round(elapsed, 3)
        self.publish_status()
        if getattr(report, "notifications", None):
            self.trigger("deliver")

    def deliver(self) -> None:
        if self._deliverer is None or self._deliverer.config is not self.config:
            self._deliverer = Deliverer(self.config)  # channel clients are kept between rounds
        self._deliverer.deliver_due(self.factory, self.clock)
        with self._lock:
            self.status.last_delivery_at = self.clock.now().isoformat()
        self.publish_status()

    def daily_digest(self) -> None:
        send_digests(self.config, self.factory, self.clock)
        self.catch_up_digests()

    def catch_up_digests(self) -> None:
        catch_up_digests(self.config, self.factory, self.clock)
        self.trigger("deliver")

    def prune(self) -> int:
        """Delete mentions older than the retention period (their snapshots go with them)."""
        cutoff = self.clock.now() - self.config.service.retention
        total = 0
        while True:
            with session_scope(self.factory) as s:
                ids = s.scalars(select(Mention.id).where(Mention.fetched_at < cutoff).limit(5000)).all()
                if not ids:
                    break
                s.execute(delete(EngagementSnapshot).where(EngagementSnapshot.mention_id.in_(ids)))
                s.execute(delete(Mention).where(Mention.id.in_(ids)))
                total += len(ids)
        if total:
            log.info("retention: pruned %d mention(s) older than %s", total, cutoff.date())
        return total

    # ------------------------------------------------------------------ hot reload

    def check_config(self) -> bool:
        """Take up config.yaml if it changed and is valid; keep the running config if not.

        A valid edit is handed to the main loop, which applies it within half a second
        (rescheduling from a job thread could deadlock with a shutdown waiting for it).
        Returns True when a new config was taken up.
        """
        digest = _file_digest(self.config_path)
        if digest is None or digest == self._config_digest:
            return False
        self._config_digest = digest
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            lines = [str(p) for p in exc.problems]
            log.error("config edit rejected, keeping the running config:\n  %s", "\n  ".join(lines))
            with self._lock:
                self.status.config_rejected = self.clock.now().isoformat()
            self._ops_notice(
                f"config:rejected:{digest[:16]}",
                # Ops notices are rendered with the zh-CN templates (they belong to no brand).
                "config.yaml 的修改有错误，未被采用；仍按原配置运行",
                lines,
            )
            self.publish_status()
            return False
        with self._lock:
            self._pending_config = new
        return True

    def apply_config(self, new: Config) -> None:
        """Swap in a new config and reschedule what changed."""
        if new.database_url() != self.config.database_url():
            log.error("config edit changes database.url: that needs a restart; other changes are applied")
            new = new.model_copy(update={"database": self.config.database})
        old_sources = {s.id: s for s in self._sources()}
        self.config = new
        self.lease.lease = new.service.lease
        new_sources = {s.id: s for s in self._sources()}
        self._resize_crawl_executor()
        for sid in old_sources.keys() - new_sources.keys():
            self.scheduler.remove_job(f"source:{sid}")
        changed = [sid for sid in new_sources if old_sources.get(sid) != new_sources[sid]]
        for sid in changed:
            self._add_source_job(new_sources[sid])
        self._schedule_fixed_jobs()
        with self._lock:
            self.status.config_loaded_at = self.clock.now().isoformat()
            self.status.config_rejected = None
        removed = sorted(old_sources.keys() - new_sources.keys())
        log.warning(
            "config reloaded: %d source(s) (%s changed%s)",
            len(new_sources),
            ", ".join(changed) or "none",
            f"; removed {', '.join(removed)}" if removed else "",
        )
        self.publish_status()
        self.trigger("evaluate")

    def _ops_notice(self, key: str, title: str, lines: list[str]) -> None:
        note = Notification(kind="ops_notice", key=key, brand=None, tier=None, incident_id=None,
                            context={"title": title, "lines": lines})
        with session_scope(self.factory) as s:
            enqueue(s, [note], self.config, self.clock.now())
        self.trigger("deliver")
