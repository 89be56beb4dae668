"""Progress of a crawl on the terminal: pages and items, redrawn once a second.

Enabled by ``repmon crawl`` only when stderr is a terminal; logs and the service never
see it.
"""

from __future__ import annotations

import sys
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class TerminalProgress:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "TerminalProgress":
        if not crawler.settings.getbool("REPMON_PROGRESS") or not sys.stderr.isatty():
            raise NotConfigured
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        self.loop = task.LoopingCall(self.draw, spider)
        self.loop.start(1.0, now=False)

    def draw(self, spider: Any, final: bool = False) -> None:
        stats = self.crawler.stats
        # robots.txt is politeness, not a page of the source.
        pages = stats.get_value("response_received_count", 0) - stats.get_value("robotstxt/response_count", 0)
        items = stats.get_value("repmon/items", 0)
        new = stats.get_value("repmon/new", 0)
        line = f"\r{spider.name}: {pages} page(s), {items} item(s), {new} new"
        sys.stderr.write(line + ("\n" if final else ""))
        sys.stderr.flush()

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.draw(spider, final=True)
