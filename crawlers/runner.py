"""Run sources through Scrapy and the ingest pipelines.

Each batch of crawls runs in a child process: Twisted's reactor cannot be restarted
in one process, a long-lived service must not grow with every crawl, and a source
that hangs or crashes its process cannot take the scheduler down with it. The child
is forked from a preloaded fork server, so a batch starts in milliseconds, not seconds.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from monitor import secrets
from monitor.clock import FixedClock, SystemClock
from monitor.config import Config
from monitor.db import make_engine, session_factory, session_scope
from monitor.logs import JsonFormatter, setup_logging
from monitor.secrets import redact
from monitor.source_health import close_interrupted_runs, judge_run, last_run_ids
from monitor.sources_config import SourceBase

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


@dataclass
class CrawlResult:
    """What one run of one source did."""

    source_id: str
    ok: bool
    items: int = 0  # records read: new + updated + unchanged + dropped
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    dropped: int = 0
    errors: int = 0
    error: str | None = None
    negatives: dict[str, int] = field(default_factory=dict)  # new negative mentions per brand
    dropped_reasons: dict[str, int] = field(default_factory=dict)


def _result_from(source_id: str, stats: dict[str, Any], spider: Any, reason: str | None) -> CrawlResult:
    """The result of one crawl, judged by the rule that closes its run record."""
    o = judge_run(stats, getattr(spider, "source_errors", None) or [], reason)
    return CrawlResult(source_id=source_id, ok=o.ok, items=o.items, new=o.new, updated=o.updated, unchanged=o.unchanged,
                       dropped=o.dropped, errors=o.errors, error=o.error, negatives=o.negatives,
                       dropped_reasons=o.dropped_reasons)


def crawl_here(config: Config, sources: list[SourceBase], now: datetime | None = None, progress: bool = False) -> list[CrawlResult]:
    """Run ``sources`` in this process, all at once, and wait for them.

    Starts (and stops) the Twisted reactor, so it can be called once per process;
    use :func:`crawl` from anything long-lived.
    """
    from scrapy.crawler import Crawler, CrawlerProcess

    from crawlers.context import IngestContext
    from crawlers.settings import build_settings
    from crawlers.spiders import SPIDERS

    engine = make_engine(config.database_url())
    ctx = IngestContext(config, session_factory(engine), FixedClock(now) if now else SystemClock())
    process = CrawlerProcess({"LOG_INSTALL_ROOT_HANDLER": False, "LOG_ENABLED": True})
    runs: list[tuple[str, Crawler]] = []
    for i, src in enumerate(sources):
        spidercls = SPIDERS[src.kind]  # type: ignore[attr-defined]
        # The first crawler installs the reactor; the others expect it.
        crawler = Crawler(spidercls, build_settings(ctx, src, progress), init_reactor=i == 0)
        kwargs = {"base_dir": config.base_dir} if src.kind in ("jsonl", "mediacrawler") else {}
        process.crawl(crawler, source=src, **kwargs)
        runs.append((src.id, crawler))
    # Scrapy's logging set-up above resets levels; ours (quiet Scrapy) applies again.

    setup_logging(_effective_level(), as_json=_logs_as_json())
    process.start()
    results = []
    for source_id, crawler in runs:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        spider = getattr(crawler, "spider", None)
        results.append(_result_from(source_id, stats, spider, stats.get("finish_reason", "did not start")))
    engine.dispose()
    return results


def _child(config: Config, source_ids: list[str], now: datetime | None, log_level: int, progress: bool, conn: Any,
           secret_values: frozenset[str] = frozenset(), log_json: bool = False) -> None:
    try:
        # The fork server never loaded the config: without the parent's secrets, the log
        # filter and the stored source errors would show ${ENV} values in clear.
        secrets.register(secret_values)
        setup_logging(log_level, as_json=log_json)
        sources = [config.source(i) for i in source_ids]
        result: tuple[str, Any] = ("ok", crawl_here(config, sources, now, progress))
    except BaseException:  # report whatever happened; the parent decides
        result = ("error", traceback.format_exc(limit=5))
    try:
        conn.send(result)
    except OSError:
        # The parent died (kill -9) while this crawl ran: the mentions and the source run
        # are stored by the crawl itself, so only the report to the parent is lost.
        log.info("crawl finished after its parent process had gone; result not reported")
    finally:
        conn.close()


def _effective_level() -> int:
    levels = [h.level for h in logging.getLogger().handlers if getattr(h, "_repmon", False)]
    return levels[0] if levels else logging.WARNING


def _logs_as_json() -> bool:
    """Whether this process logs JSON lines (``--log-json``): crawl children and workers follow."""
    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers if getattr(h, "_repmon", False))


_CONTEXT: mp.context.BaseContext | None = None


def _mp_context() -> mp.context.BaseContext:
    global _CONTEXT
    if _CONTEXT is None:
        try:
            ctx = mp.get_context("forkserver")
            # Import the heavy parts (Scrapy, Twisted, the sentiment models) once in the fork
            # server, so every crawl child starts warm.
            ctx.set_forkserver_preload(["crawlers.pipelines", "crawlers.spiders", "scrapy.crawler", "crawlers.warm"])
        except ValueError:  # platforms without fork
            ctx = mp.get_context("spawn")
        _CONTEXT = ctx
    return _CONTEXT


def start_fork_server() -> None:
    """Start the crawl fork server now and wait until it has preloaded Scrapy and the
    sentiment models, so the first crawl does not pay for that (seconds of imports)."""
    ctx = _mp_context()
    proc = ctx.Process(target=_nothing, daemon=True)
    proc.start()
    proc.join()


def _nothing() -> None:
    """A child that does nothing: forking it proves the fork server is ready."""


def crawl(
    config: Config, sources: list[SourceBase], now: datetime | None = None, timeout: float | None = None,
    progress: bool = False, stop: threading.Event | None = None, stop_grace: float = 60.0,
    factory: sessionmaker[Session] | None = None,
) -> list[CrawlResult]:
    """Run ``sources`` in a child process and return one result per source.

    ``factory`` (a session factory for ``config``'s database) lets a long-lived caller
    reuse its connections for the health records this writes around a crawl; without it
    an engine is made for the call.

    A child that crashes or overruns ``timeout`` seconds yields failed results naming
    the cause; it never raises into the caller. When ``stop`` is set (the service is
    shutting down) the child is asked to close — Scrapy's graceful stop, so what it
    stored stays stored — and killed if it is still running ``stop_grace`` seconds later.
    """
    if not sources:
        return []
    engine = None
    if factory is None:
        engine = make_engine(config.database_url())
        factory = session_factory(engine)
    try:
        with session_scope(factory) as s:
            before = last_run_ids(s, [src.id for src in sources])
        results, interrupted = _crawl_in_child(config, sources, now, timeout, progress, stop, stop_grace)
        if interrupted:
            with session_scope(factory) as s:
                close_interrupted_runs(s, before, now or datetime.now(timezone.utc), results[0].error or "",
                                       shutdown=stop is not None and stop.is_set())
    finally:
        if engine is not None:
            engine.dispose()
    return results


def _crawl_in_child(
    config: Config, sources: list[SourceBase], now: datetime | None, timeout: float | None,
    progress: bool, stop: threading.Event | None, stop_grace: float,
) -> tuple[list[CrawlResult], bool]:
    """The results the child reported, or, when it never did (it crashed, overran or was
    stopped), a failed result per source naming the cause and ``True``."""
    ctx = _mp_context()
    parent, child = ctx.Pipe(duplex=False)

    proc = ctx.Process(target=_child, args=(config, [s.id for s in sources], now, _effective_level(), progress, child,
                                            secrets.registered(), _logs_as_json()), daemon=False)
    proc.start()
    child.close()
    outcome: tuple[str, Any] | None = None
    deadline = None if timeout is None else time.monotonic() + timeout
    asked_to_close = False
    try:
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            step = left if stop is None else min(0.5, left if left is not None else 0.5)
            if parent.poll(step):
                outcome = parent.recv()
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if stop is not None and stop.is_set() and not asked_to_close:
                asked_to_close = True
                log.warning("stopping: asking the crawl of %s to close", ", ".join(s.id for s in sources))
                proc.terminate()  # SIGTERM: Scrapy finishes the items in hand and closes the spider
                deadline = time.monotonic() + stop_grace if deadline is None else min(deadline, time.monotonic() + stop_grace)
    except EOFError:
        outcome = None
    proc.join(5 if outcome else 0.1)
    if proc.is_alive():
        proc.kill()
        proc.join()
    if outcome and outcome[0] == "ok":
        return outcome[1], False
    if outcome is None and asked_to_close:
        why = "stopped: the service was shutting down"
    elif outcome is None:
        why = "timed out" if proc.exitcode is None or proc.exitcode < 0 and timeout else f"crawl process died (exit code {proc.exitcode})"
    else:

        log.error("crawl process failed:\n%s", outcome[1])
        why = redact("crawl process failed: " + outcome[1].strip().splitlines()[-1])
    return [CrawlResult(source_id=s.id, ok=False, errors=1, error=why) for s in sources], True


def work_forever(config: Config) -> None:
    """``repmon worker``: crawl the distributable sources' rounds from Redis until stopped.

    One long-lived Scrapy process; SIGTERM / SIGINT finish what is in flight and exit.
    """
    from scrapy.crawler import Crawler, CrawlerProcess

    from crawlers.context import IngestContext
    from crawlers.distributed import distributable, redis_spider_class, worker_settings
    from crawlers.settings import build_settings
    from crawlers.spiders import SPIDERS

    engine = make_engine(config.database_url())
    ctx = IngestContext(config, session_factory(engine), SystemClock())
    process = CrawlerProcess({"LOG_INSTALL_ROOT_HANDLER": False, "LOG_ENABLED": True})
    sources = [s for s in config.sources if s.enabled and distributable(s)]
    if not sources:
        raise SystemExit("no distributable sources (weibo, rss, html, mastodon, jsonl with a url) in the config")
    for i, src in enumerate(sources):
        settings = build_settings(ctx, src)
        settings.update(worker_settings(config, src.id))
        # Health is recorded per round by the scheduler, not per worker lifetime.
        settings["EXTENSIONS"] = {**settings["EXTENSIONS"], "crawlers.extensions.SourceRunRecorder": None}
        crawler = Crawler(redis_spider_class(SPIDERS[src.kind]), settings, init_reactor=i == 0)
        kwargs = {"base_dir": config.base_dir} if src.kind == "jsonl" else {}
        process.crawl(crawler, source=src, **kwargs)
    setup_logging(_effective_level(), as_json=_logs_as_json())
    log.warning("repmon worker: %d source(s) on %s", len(sources), config.distributed.redis_url.split("@")[-1])
    process.start()
    engine.dispose()
