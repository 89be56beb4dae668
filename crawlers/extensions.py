"""Scrapy extension that keeps each source's health record (one ``source_runs`` row per run)."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawlers.context import SETTINGS_KEY, IngestContext
from monitor.db import session_scope
from monitor.models import SourceRun
from monitor.secrets import redact
from monitor.source_health import SHUTDOWN

log = logging.getLogger(__name__)


def run_errors(stats: dict[str, Any]) -> int:
    """Faults in a crawl's stats: source errors the spider reported (HTTP errors and network
    faults reach it through errbacks) and exceptions raised while parsing.

    Scrapy's ``log_count/ERROR`` is not used: with several crawlers in one process it
    counts the others' errors too.
    """
    n = stats.get("repmon/source_errors", 0)
    n += stats.get("spider_exceptions/count", 0)
    n += stats.get("repmon/ingest_errors", 0)
    return int(n)


class SourceRunRecorder:
    """Writes a ``source_runs`` row when a spider opens and completes it when it closes."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.ctx: IngestContext = crawler.settings[SETTINGS_KEY]
        self.run_id: int | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SourceRunRecorder":
        return cls(crawler)

    def opened(self, spider: Spider) -> None:
        with session_scope(self.ctx.session_factory) as s:
            run = SourceRun(source_id=spider.source_id, started_at=self.ctx.clock.now())
            s.add(run)
            s.flush()
            self.run_id = run.id
        spider.run_id = self.run_id

    def closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        errors = run_errors(stats)
        messages = list(getattr(spider, "source_errors", []))
        if reason != "finished":
            messages.append(f"crawl ended early: {reason}")
        if not messages and errors:
            messages.append(_describe(stats))
        with session_scope(self.ctx.session_factory) as s:
            run = s.get(SourceRun, self.run_id)
            if run is None:
                return
            run.finished_at = self.ctx.clock.now()
            run.items = int(stats.get("repmon/items", 0))
            run.new = int(stats.get("repmon/new", 0))
            run.updated = int(stats.get("repmon/updated", 0))
            run.dropped = int(stats.get("repmon/dropped", 0))
            run.errors = errors + (1 if reason != "finished" else 0)
            run.ok = run.errors == 0 and not messages
            # Errors quote URLs and answers, which may carry a ${ENV} secret (a token in a URL).
            run.error_message = redact("; ".join(messages))[:2000] or None
            run.stats = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
            if reason == SHUTDOWN:  # Scrapy's graceful stop: the service is stopping, the source did nothing wrong
                run.stats["interrupted"] = SHUTDOWN


def _describe(stats: dict[str, Any]) -> str:
    parts = []
    for key, label in (
        ("httperror/response_ignored_count", "HTTP error responses"),
        ("downloader/exception_count", "download errors"),
        ("spider_exceptions/count", "errors while parsing"),
        ("repmon/ingest_errors", "mentions that could not be scored or stored (see the log)"),
    ):
        if stats.get(key):
            parts.append(f"{stats[key]} {label}")
    codes = sorted(k.rsplit("/", 1)[-1] for k in stats if k.startswith("downloader/response_status_count/") and not k.endswith(("/200", "/301", "/302", "/304")))
    if codes:
        parts.append("status " + ", ".join(codes))
    return "; ".join(parts) or "errors during crawl"


class ItemLimit(BaseSpiderMiddleware):
    """Spider middleware: a source's ``max_items`` per run, for every kind.

    Items past the limit are left out (counted as ``repmon/capped``) and the spider stops
    paging (:meth:`MentionSpider.should_page_on` asks :func:`at_item_limit`). Posts left out
    are fetched again by a later run, as they are not stored. A spider that must keep the
    limit itself (the MediaCrawler files, whose read position has to stop where the items
    did) sets ``limits_itself``. Items an errback yields after a download failure do not
    pass through spider middlewares and are not counted.
    """

    def get_processed_item(self, item: Any, response: Any) -> Any:
        spider = self.crawler.spider
        limit = getattr(getattr(spider, "source", None), "max_items", None)
        if not limit or getattr(spider, "limits_itself", False):
            return item
        taken = getattr(spider, "items_taken", 0)
        if taken >= limit:
            self.crawler.stats.inc_value("repmon/capped")
            return None
        spider.items_taken = taken + 1
        return item


def at_item_limit(spider: Any) -> bool:
    """Whether the spider has handed over its source's ``max_items`` for this run."""
    limit = getattr(getattr(spider, "source", None), "max_items", None)
    return bool(limit) and getattr(spider, "items_taken", 0) >= limit
