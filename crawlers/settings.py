"""Scrapy settings for one source, from the repmon config."""

from __future__ import annotations

from typing import Any

from crawlers.context import SETTINGS_KEY, IngestContext
from crawlers.pipelines import PIPELINES
from monitor.sources_config import SourceBase

# Kinds that crawl web sites meant for people (not APIs or local files) obey robots.txt.
ROBOTS_KINDS = {"html", "rss"}


def build_settings(ctx: IngestContext, source: SourceBase, progress: bool = False) -> dict[str, Any]:
    """Settings for the crawler of ``source``: pipelines, politeness, headers, the context."""
    crawl = ctx.config.crawl
    delay = source.download_delay if source.download_delay is not None else crawl.download_delay
    kind = getattr(source, "kind", "")
    return {
        SETTINGS_KEY: ctx,
        "REPMON_PROGRESS": progress,
        "REPMON_BATCH_ITEMS": crawl.batch_size,
        "REPMON_BATCH_SECONDS": crawl.batch_wait.total_seconds(),
        "ITEM_PIPELINES": PIPELINES,
        "EXTENSIONS": {
            "crawlers.extensions.SourceRunRecorder": 100,
            "crawlers.progress.TerminalProgress": 200,
            "scrapy.extensions.telnet.TelnetConsole": None,
        },
        "LOG_FORMATTER": "crawlers.pipelines.QuietDropFormatter",
        "USER_AGENT": crawl.user_agent,
        "DEFAULT_REQUEST_HEADERS": {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8", **source.headers},
        "DOWNLOAD_TIMEOUT": crawl.download_timeout.total_seconds(),
        "DOWNLOAD_DELAY": delay.total_seconds(),
        "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrent_requests_per_domain or crawl.concurrent_requests_per_domain,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(delay.total_seconds(), 0.5),
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "ROBOTSTXT_OBEY": kind in ROBOTS_KINDS,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy's remote control opens a port and writes job files: not for a monitor.
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_ENABLED": True,
        "LOG_LEVEL": "WARNING",
        "STATS_DUMP": False,
        # Scrapy reads the source of a spider's callback on every response to warn about
        # `return value` in generators (its cache is keyed weakly by the bound method, a
        # new object per request): ~9 ms a page. The spiders' tests cover what it warns of.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
    }
