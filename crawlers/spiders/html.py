"""Any page listing posts, read with CSS or XPath selectors from the config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from parsel import Selector
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.spiders.base import MentionSpider, looks_like_login
from monitor.sources_config import HtmlSource


def select(node: Selector, query: str) -> Any:
    """CSS by default; XPath when the query starts with / or ( or xpath:."""
    if query.startswith("xpath:"):
        return node.xpath(query[6:])
    if query.startswith(("/", "(", "./")):
        return node.xpath(query)
    return node.css(query)


def text_of(node: Selector, query: str | None) -> str | None:
    if not query:
        return None
    found = select(node, query)
    if not found:
        return None
    # ::text / ::attr() / text() queries give strings; element queries give their markup.
    return " ".join(x.strip() for x in found.getall() if x and x.strip()) or None


class HtmlSpider(MentionSpider):
    kind = "html"

    def __init__(self, source: HtmlSource, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.cfg = source

    def seed_requests(self):
        for url in self.cfg.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.http_error, headers=self.request_headers(),
                                 cookies=self.cookies(), meta={"page": 1}, dont_filter=True)

    def parse(self, response: Response) -> Iterator[Any]:
        sel = self.cfg.selectors
        if not response.body.strip():
            self.report_error(f"{response.url}: empty answer")
            return
        items = select(response, sel.item)
        if not items:
            if looks_like_login(response.text):
                self.report_error(f"{response.url}: got a login page instead of the listing (cookie missing or expired?)")
                return
            self.report_error(f"{response.url}: no element matches the item selector {sel.item!r} (page layout changed?)")
            return
        ids = []
        for node in items:
            link = text_of(node, sel.link)
            link = response.urljoin(link) if link else None
            pid = text_of(node, sel.id) or link
            if pid:
                ids.append(pid)
            yield self.mention(
                external_id=pid,
                url=link,
                text=text_of(node, sel.text),
                author_name=text_of(node, sel.author),
                published_at=text_of(node, sel.time),
                reposts=text_of(node, sel.reposts),
                comments=text_of(node, sel.comments),
                likes=text_of(node, sel.likes),
            )
        page = response.meta["page"]
        next_link = text_of(response, sel.next) if sel.next else None
        if next_link and page < self.cfg.max_pages and self.should_page_on(ids):
            yield response.follow(next_link.split()[0], callback=self.parse, errback=self.http_error,
                                  headers=self.request_headers(), cookies=self.cookies(), meta={"page": page + 1})
