"""Mastodon: hashtag timelines (public) and full-text search (with a token)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.spiders.base import BadPost, MentionSpider, json_type, post_id, text_field
from monitor.sources_config import MastodonSource

PAGE = 40


class MastodonSpider(MentionSpider):
    kind = "mastodon"

    def __init__(self, source: MastodonSource, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.cfg = source
        self.base = source.base_url.rstrip("/")

    def request_headers(self) -> dict[str, str]:
        headers = super().request_headers()
        if self.cfg.token:
            headers["Authorization"] = f"Bearer {self.cfg.token.get_secret_value()}"
        return headers

    def _request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.http_error, headers=self.request_headers(),
                              cookies=self.cookies(), meta=meta, dont_filter=True)

    def seed_requests(self):
        for tag in self.cfg.hashtags:
            url = f"{self.base}/api/v1/timelines/tag/{quote(tag.lstrip('#'))}?limit={PAGE}"
            yield self._request(url, self.parse_timeline, what=f"#{tag.lstrip('#')}", page=1, base=url)
        for q in self.cfg.search:
            url = f"{self.base}/api/v2/search?q={quote(q)}&type=statuses&resolve=false&limit={PAGE}"
            yield self._request(url, self.parse_search, what=f"search {q!r}", page=1, base=url)

    def parse_timeline(self, response: Response) -> Iterator[Any]:
        data = self.check_json(response, response.meta["what"], expect=(list, dict))
        if data is None:
            return
        if not isinstance(data, list):
            self.report_error(f"{response.meta['what']}: expected a list of statuses (format changed?)")
            return
        yield from self._statuses(data, response, self.parse_timeline)

    def parse_search(self, response: Response) -> Iterator[Any]:
        data = self.check_json(response, response.meta["what"])
        if data is None:
            return
        if not isinstance(data, dict) or not isinstance(data.get("statuses"), list):
            self.report_error(f"{response.meta['what']}: no 'statuses' in the answer (format changed?)")
            return
        yield from self._statuses(data["statuses"], response, self.parse_search)

    def _statuses(self, statuses: list[Any], response: Response, callback: Any) -> Iterator[Any]:
        dicts = [st for st in statuses if isinstance(st, dict)]
        for field in ("id", "content"):
            if statuses and not any(field in st for st in dicts):
                self.report_error(f"{response.meta['what']}: statuses have no '{field}' (format changed?)")
                return
        items = self.read_posts(statuses, self._status, response.meta["what"])
        yield from items
        page = response.meta["page"]
        # The page goes on below its last status (a boost's own id, not its original's).
        last = next((st["id"] for st in reversed(dicts) if _usable_id(st.get("id"))), None)
        if last is not None and page < self.cfg.max_pages and self.should_page_on([i["external_id"] for i in items]):
            base = response.meta["base"]
            url = f"{base}{'&' if '?' in base else '?'}max_id={quote(str(last), safe='')}"
            yield self._request(url, callback, what=response.meta["what"], page=page + 1, base=base)

    def _status(self, st: dict[str, Any]) -> MentionItem | None:
        if not st.get("id"):
            self.count_dropped("no_id")
            return None
        reblog = st.get("reblog")
        if reblog:  # a boost: the original post is what people said
            if not isinstance(reblog, dict):
                raise BadPost(f"'reblog' is {json_type(reblog)}, not an object")
            return self.item_from(reblog)
        return self.item_from(st)

    def item_from(self, st: dict[str, Any]) -> MentionItem:
        """The mention of one status; a :class:`~crawlers.spiders.base.BadPost` when its id
        or content is missing or of the wrong type."""
        pid = post_id(st.get("id"))
        # The author is worth having, not worth losing the post over.
        account = self.optional_object(st, "account")
        text = text_field(st, "content")
        spoiler = st.get("spoiler_text")
        if isinstance(spoiler, str) and spoiler.strip():
            # The content warning is plain text, the content HTML: escaped, the pipeline's
            # unescaping gives back its '<' and '&' instead of taking them for markup.
            text = f"{html.escape(spoiler, quote=False)}\n{text}"
        return self.mention(
            external_id=pid,
            url=st.get("url") or st.get("uri"),
            text=text,
            published_at=st.get("created_at"),
            reposts=st.get("reblogs_count"),
            comments=st.get("replies_count"),
            likes=st.get("favourites_count"),
            language=st.get("language"),
            author_id=account.get("acct") or account.get("id"),
            author_name=account.get("display_name") or account.get("username"),
            author_followers=account.get("followers_count"),
        )


def _usable_id(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) != ""
