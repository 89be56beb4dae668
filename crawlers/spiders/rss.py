"""RSS 2.0 and Atom feeds, parsed by feedparser (it copes with the many dialects in the wild)."""

from __future__ import annotations

import html
import xml.sax
from collections.abc import Iterator
from typing import Any

import feedparser
import scrapy
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.spiders.base import MentionSpider, looks_like_login
from monitor.sources_config import RssSource


class RssSpider(MentionSpider):
    kind = "rss"

    def __init__(self, source: RssSource, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.cfg = source

    def seed_requests(self):
        for url in self.cfg.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.http_error, headers=self.request_headers(),
                                 cookies=self.cookies(), dont_filter=True)

    def parse(self, response: Response) -> Iterator[MentionItem]:
        where = response.url.split("?")[0]
        if not response.body.strip():
            self.report_error(f"{where}: empty answer")
            return
        # No HTML sanitising nor link resolving inside entries: the pipeline keeps plain text
        # only (clean_text drops every tag, scripts and styles with their content), and
        # feedparser's sanitiser was 40% of parsing a feed.
        feed = feedparser.parse(response.body, sanitize_html=False, resolve_relative_uris=False)
        fault = feed.get("bozo_exception") if feed.get("bozo") else None
        # feedparser also flags harmless things (a wrong declared encoding); only broken XML is a fault.
        broken = fault if isinstance(fault, xml.sax.SAXException) else None
        if not feed.entries:
            if feed.get("version") and not broken:
                return  # a valid feed with nothing in it today
            head = response.body[:3000].decode("utf-8", "replace")
            if head.lstrip().lower().startswith(("<!doctype html", "<html")) or not feed.get("version"):
                if looks_like_login(head):
                    self.report_error(f"{where}: got a login page instead of a feed (cookie missing or expired?)")
                else:
                    self.report_error(f"{where}: not an RSS or Atom feed (the URL serves something else)")
            else:
                self.report_error(f"{where}: feed is not well-formed XML ({_reason(broken)}): truncated or damaged")
            return
        entries = list(feed.entries)
        if broken:
            # The last entry before the fault may be cut short: it is read again next run.
            entries = entries[:-1]
            self.report_error(f"{where}: feed is cut short or damaged ({_reason(broken)}); "
                              f"read the {len(entries)} complete entries before the fault")
        if not any(e.get("title") or e.get("summary") or e.get("content") for e in feed.entries):
            self.report_error(f"{where}: entries have no title, summary or content (format changed?)")
            return
        for entry in entries:
            title, summary = as_html(entry, "title"), as_html(entry, "summary")
            text = title if not summary or summary.strip() == title.strip() else f"{title}\n{summary}"
            published = entry.get("published") or entry.get("updated") or entry.get("created")
            yield self.mention(
                external_id=entry.get("id") or entry.get("link") or entry.get("title", ""),
                url=entry.get("link"),
                text=text,
                author_name=entry.get("author"),
                published_at=published,
            )


def as_html(entry: Any, field: str) -> str:
    """An entry's ``title`` or ``summary`` as the HTML the pipeline reads item text as.

    feedparser hands over text it decoded (typed ``text/plain``: an RSS title, an Atom
    ``type="text"`` construct) with its '<' and '&' as written; the pipeline would take
    ``<3`` or ``<不>`` for a tag and lose it. Escaped, they come back out as text.
    """
    value = entry.get(field, "")
    detail = entry.get(f"{field}_detail") or {}
    if isinstance(value, str) and detail.get("type") == "text/plain":
        return html.escape(value, quote=False)
    return value


def _reason(exc: Any) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return f"{exc.getMessage()} at line {exc.getLineNumber()}"
    return str(exc) or exc.__class__.__name__
