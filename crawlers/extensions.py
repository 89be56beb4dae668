"""Scrapy extension that keeps each source's health record (one ``source_runs`` row per run)."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawlers.context import SETTINGS_KEY, IngestContext
from monitor.db import session_scope
from monitor.source_health import close_run, open_run

log = logging.getLogger(__name__)


class SourceRunRecorder:
    """Opens a source's run record when its spider opens and closes it, judged from the
    crawl's stats, when the spider closes (both through :mod:`monitor.source_health`)."""

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
            self.run_id = open_run(s, spider.source_id, self.ctx.clock.now())
        spider.run_id = self.run_id

    def closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        with session_scope(self.ctx.session_factory) as s:
            close_run(s, self.run_id, self.ctx.clock.now(), stats, getattr(spider, "source_errors", []), reason)


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
