"""Bluesky post search (``app.bsky.feed.searchPosts``).

Search results carry no follower counts, so authors are looked up with
``app.bsky.actor.getProfiles`` in batches of 25; counts already known from the last day
(stored with earlier mentions) are reused instead of asked again.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import scrapy
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.spiders.base import BadPost, MentionSpider, json_type, text_field
from monitor.sources_config import BlueskySource

BATCH = 25
CACHE_FOR = timedelta(hours=24)


def post_url(uri: str, handle: str | None) -> str | None:
    # at://did:plc:xyz/app.bsky.feed.post/3kabc -> https://bsky.app/profile/<handle>/post/3kabc
    parts = uri.split("/")
    if len(parts) >= 5 and parts[3] == "app.bsky.feed.post":
        return f"https://bsky.app/profile/{handle or parts[2]}/post/{parts[4]}"
    return None


class BlueskySpider(MentionSpider):
    kind = "bluesky"

    def __init__(self, source: BlueskySource, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.cfg = source
        self.base = source.base_url.rstrip("/")
        self.learned: dict[str, int] = {}  # follower counts fetched during this run

    def request_headers(self) -> dict[str, str]:
        headers = super().request_headers()
        if self.cfg.token:
            headers["Authorization"] = f"Bearer {self.cfg.token.get_secret_value()}"
        return headers

    def _request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.http_error, headers=self.request_headers(),
                              cookies=self.cookies(), meta=meta, dont_filter=True)

    def search_url(self, q: str, cursor: str | None) -> str:
        params = {"q": q, "limit": 25, "sort": "latest"}
        if cursor:
            params["cursor"] = cursor
        return f"{self.base}/xrpc/app.bsky.feed.searchPosts?{urlencode(params, quote_via=quote)}"

    def seed_requests(self):
        for q in self.cfg.queries:
            yield self._request(self.search_url(q, None), self.parse_search, q=q, page=1)

    def parse_search(self, response: Response) -> Iterator[Any]:
        q, page = response.meta["q"], response.meta["page"]
        data = self.check_json(response, f"search {q!r}")
        if data is None:
            return
        if not isinstance(data.get("posts"), list):
            self.report_error(f"search {q!r}: no 'posts' in the answer (format changed?)")
            return
        posts = [p for p in data["posts"] if isinstance(p, dict)]
        if data["posts"] and not any("uri" in p for p in posts):
            self.report_error(f"search {q!r}: posts have no 'uri' (format changed?)")
            return
        if data["posts"] and not any(isinstance(p.get("record"), dict) and "text" in p["record"] for p in posts):
            self.report_error(f"search {q!r}: posts have no 'record.text' (format changed?)")
            return
        items = self.read_posts(data["posts"], self.item_from, f"search {q!r} page {page}")
        known_followers = self.cached_followers({i["author_id"] for i in items if i.get("author_id")})
        missing = []
        for item in items:
            if item.get("author_id") in known_followers:
                item["author_followers"] = known_followers[item["author_id"]]
            elif item.get("author_id") and item["author_id"] not in missing:
                missing.append(item["author_id"])
        ids = [i["external_id"] for i in items]
        cursor = data.get("cursor")
        next_page = None
        if isinstance(cursor, str) and cursor and page < self.cfg.max_pages and self.should_page_on(ids):
            next_page = self._request(self.search_url(q, cursor), self.parse_search, q=q, page=page + 1)
        if missing:
            # The next page waits for these profiles, so its authors can come from what they teach.
            yield from self.profile_requests(missing, items, next_page)
        else:
            yield from items
            if next_page is not None:
                yield next_page

    def profile_requests(self, dids: list[str], items: list[MentionItem], next_page: Any) -> Iterator[scrapy.Request]:
        batches = [dids[i:i + BATCH] for i in range(0, len(dids), BATCH)]
        # Items wait for the last batch so each is yielded once, with what was learned.
        state = {"left": len(batches), "followers": {}, "items": items, "next": next_page}
        for batch in batches:
            url = f"{self.base}/xrpc/app.bsky.actor.getProfiles?" + urlencode([("actors", d) for d in batch])
            yield scrapy.Request(url, callback=self.parse_profiles, errback=self.profiles_failed,
                                 headers=self.request_headers(), cookies=self.cookies(), meta={"state": state},
                                 dont_filter=True)

    def parse_profiles(self, response: Response) -> Iterator[MentionItem]:
        """Learn follower counts from a getProfiles answer, then release the posts waiting for
        it. Whatever the answer, they are released: an answer of another shape is a source
        error and an unreadable profile is counted (``repmon/malformed/profile``); their
        authors' posts are kept without a follower count."""
        state = response.meta["state"]
        data = self.check_json(response, "getProfiles")
        if data is not None:
            profiles = data.get("profiles")
            if not isinstance(profiles, list):
                self.report_error(f"getProfiles: 'profiles' is {json_type(profiles)}, not a list (format changed?); "
                                  "posts kept without follower counts")
                profiles = []
            unread = 0
            for prof in profiles:
                did = prof.get("did") if isinstance(prof, dict) else None
                count = prof.get("followersCount") if isinstance(prof, dict) else None
                if isinstance(did, str) and did and (count is None or _is_count(count)):
                    state["followers"][did] = count
                else:
                    unread += 1
            if unread:
                self.crawler.stats.inc_value("repmon/malformed/profile", unread)
                self.logger.warning("source %s: getProfiles: %d unreadable profile(s)", self.source_id, unread)
        yield from self._release(state)

    def profiles_failed(self, failure: Any) -> Iterator[MentionItem]:
        self.http_error(failure)
        # Posts without follower counts are still worth storing.
        yield from self._release(failure.request.meta["state"])

    def _release(self, state: dict[str, Any]) -> Iterator[MentionItem]:
        state["left"] -= 1
        if state["left"] > 0:
            return
        self.learned.update({k: v for k, v in state["followers"].items() if v is not None})
        for item in state["items"]:
            if item.get("author_id") in state["followers"]:
                item["author_followers"] = state["followers"][item["author_id"]]
            yield item
        if state["next"] is not None:
            yield state["next"]

    def cached_followers(self, dids: set[str]) -> dict[str, int]:
        """Follower counts learned in this run or stored with this source's mentions in the last day."""
        known = {d: self.learned[d] for d in dids if d in self.learned}
        dids = dids - known.keys()
        if not dids:
            return known
        return {**self.crawl_state.recent_followers(dids, CACHE_FOR), **known}

    def item_from(self, post: dict[str, Any]) -> MentionItem | None:
        """The mention of one post; None (counted) without a uri; a
        :class:`~crawlers.spiders.base.BadPost` when its uri, record or text is of the wrong type."""
        uri = post.get("uri")
        if not uri:
            self.count_dropped("no_id")
            return None
        if not isinstance(uri, str):
            raise BadPost(f"'uri' is {json_type(uri)}, not a string")
        record = post.get("record")
        if not isinstance(record, dict):
            raise BadPost(f"'record' is {json_type(record)}, not an object")
        # The author is worth having, not worth losing the post over; only a string is an id.
        author = self.optional_object(post, "author")
        did, handle = (v if isinstance(v, str) and v else None for v in (author.get("did"), author.get("handle")))
        langs = record.get("langs")
        # record.text is plain text, and the pipeline reads text as HTML: escaped, it keeps
        # its '<3' and '<不>' instead of losing them as tags.
        text = html.escape(text_field(record, "text"), quote=False)
        return self.mention(
            external_id=uri,
            url=post_url(uri, handle),
            text=text,
            published_at=record.get("createdAt") or post.get("indexedAt"),
            reposts=_reposts(post.get("repostCount"), post.get("quoteCount")),
            comments=post.get("replyCount"),
            likes=post.get("likeCount"),
            language=langs[0] if isinstance(langs, list) and langs else None,
            author_id=did,
            author_name=author.get("displayName") or handle,
        )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _reposts(reposts: Any, quotes: Any) -> Any:
    """Reposts and quotes together (a quote spreads a post as a repost does)."""
    given = [v for v in (reposts, quotes) if v is not None]
    if all(_is_count(v) for v in given):
        return sum(given)
    return reposts  # not both counts: the pipeline reads this one or drops the post as bad_count
