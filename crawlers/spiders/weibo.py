"""Weibo keyword search through the mobile API (m.weibo.cn).

Search pages: ``/api/container/getIndex?containerid=100103type=61&q=KW&page_type=searchall&page=N``
(type 61 is the real-time tab, newest first, so paging can stop at posts already seen;
``search_type: 1`` is the relevance-ranked "all" tab). Posts arrive as ``data.cards[].mblog``,
also nested in ``card_group``s. Truncated posts (``isLongText``) are expanded with
``/statuses/extend?id=ID``. A repost carries the original in ``retweeted_status``; its
text is appended to the reposter's so "转发微博" still matches the brand. An original that
is itself truncated (``isLongText`` without a ``longText`` block: search results carry
none) is expanded the same way, by its own id, after the reposter's text. Counts come as
numbers or strings such as ``100万+``; ``created_at`` as ``刚刚``, ``5分钟前``, ``今天 12:30``,
``昨天 08:00``, ``06-14`` or ``Sat Jun 15 11:44:46 +0800 2019`` — the pipelines read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.spiders.base import MentionSpider, json_type, post_id, text_field
from monitor.sources_config import WeiboSource

WEIBO_TZ = "Asia/Shanghai"
REPOST_MARK = " //转发: "
# What Weibo says, with ok: 0 and no cards, for a keyword that simply has no posts.
NO_CONTENT = ("还没有内容", "没有内容", "暂无", "无结果", "没有找到")
NOT_JSON = object()


def iter_mblogs(cards: list[Any]) -> Iterator[Any]:
    """Every ``mblog`` of a search page's cards, top-level or inside a ``card_group``
    (one that is no object is yielded too: it is a post, unreadable)."""
    for card in cards:
        if not isinstance(card, dict):
            continue  # cards are also banners, hints and user lists: only an mblog is a post
        if card.get("mblog") is not None:
            yield card["mblog"]
        group = card.get("card_group")
        for sub in group if isinstance(group, list) else []:
            if isinstance(sub, dict) and sub.get("mblog") is not None:
                yield sub["mblog"]


def refusal(data: Any) -> str | None:
    """Why a search answer is a refusal, or None when it is a page of results (maybe empty).

    ``ok: 0`` with a "no content" message and no cards is a keyword with no posts, not a
    failure; ``ok: -100`` is Weibo's login redirect; other ``ok`` values name what Weibo said.
    """
    if not isinstance(data, dict):
        return "answer is not a JSON object (format changed?)"
    ok = data.get("ok")
    if ok in (1, "1", True):
        return None
    msg = str(data.get("msg") or "").strip()
    inner = data.get("data") if isinstance(data.get("data"), dict) else {}
    url = str(data.get("url") or "").lower()
    if str(ok) == "-100" or "passport" in url or "login" in url:
        return "login required (cookie missing or expired)" + (f": {msg}" if msg else "")
    if "captcha" in url or "verify" in url or "验证码" in msg:
        return "captcha required (too many requests, or the cookie needs a fresh browser login)" + (f": {msg}" if msg else "")
    if str(ok) == "0" and msg and any(m in msg for m in NO_CONTENT) and not inner.get("cards"):
        return None
    return f"Weibo answered ok: {ok}" + (f" ({msg})" if msg else " (cookie expired or request refused?)")


class WeiboSpider(MentionSpider):
    kind = "weibo"

    def __init__(self, source: WeiboSource, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.cfg = source
        self.base = source.base_url.rstrip("/")

    def search_url(self, keyword: str, page: int) -> str:
        container = quote(f"100103type={self.cfg.search_type}&q={keyword}", safe="")
        return f"{self.base}/api/container/getIndex?containerid={container}&page_type=searchall&page={page}"

    def _request(self, url: str, callback: Any, errback: Any = None, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=errback or self.http_error, headers=self.request_headers(),
                              cookies=self.cookies(), meta=meta, dont_filter=True)

    def seed_requests(self):
        for keyword in self.cfg.keywords:
            yield self._request(self.search_url(keyword, 1), self.parse_search, keyword=keyword, page=1)

    def parse_search(self, response: Response) -> Iterator[Any]:
        keyword, page = response.meta["keyword"], response.meta["page"]
        what = f"search {keyword!r} page {page}"
        data = self.check_json(response, what)
        if data is None:
            return
        if data.get("ok") in (0, "0") and not data.get("msg") and page > 1:
            return  # past the last page Weibo answers ok: 0 without a message
        why = refusal(data)
        if why:
            self.report_error(f"search {keyword!r} page {page}: {why}")
            return
        if data.get("ok") not in (1, "1", True):
            return  # a keyword with no posts: an empty, successful page
        inner = data.get("data")
        if not isinstance(inner, dict) or "cards" not in inner:
            self.report_error(f"search {keyword!r}: no 'cards' in the answer (format changed?)")
            return
        if not isinstance(inner["cards"], list):
            self.report_error(f"search {keyword!r}: 'cards' is {json_type(inner['cards'])}, not a list (format changed?)")
            return
        mblogs = list(iter_mblogs(inner["cards"]))
        posts = self.read_posts(mblogs, self._post, what)
        for item, expansion in posts:
            yield self._expand(item, *expansion) if expansion is not None else item
        ids = [item["external_id"] for item, _ in posts]
        if mblogs and page < self.cfg.max_pages and self.should_page_on(ids):
            yield self._request(self.search_url(keyword, page + 1), self.parse_search, keyword=keyword, page=page + 1)

    def _post(self, mblog: dict[str, Any]) -> tuple[MentionItem, Expansion | None] | None:
        """A post's item, and what of its text is still to be fetched (None when nothing is)."""
        item = self.item_from(mblog)
        if item is None:
            return None
        if not self.cfg.expand_long_text:
            return item, None
        steps: list[tuple[str, str]] = []
        if mblog.get("isLongText"):
            steps.append(("own", item["external_id"]))
        rt = mblog.get("retweeted_status")
        if isinstance(rt, dict) and rt.get("isLongText") and not _long_text_block(rt):
            rid = rt.get("id") or rt.get("mid")
            if isinstance(rid, str) and rid.strip() or isinstance(rid, int) and not isinstance(rid, bool):
                steps.append(("original", str(rid)))
            else:  # the original stays cut short, its post is no less the reposter's
                self._long_text_missing(item, f"its id is {json_type(rid)}", whose="the original of ")
        if not steps:
            return item, None
        return item, (text_field(mblog, "text", "raw_text"), repost_text(mblog), steps)

    def _expand(self, item: MentionItem, own: str, repost: str, steps: list[tuple[str, str]]) -> Any:
        """The request for the next part of a post's text to expand, or the post when none is left.

        ``own`` is the reposter's text and ``repost`` the marked original appended to it, each
        as expanded so far; ``steps`` are ("own" | "original", id) still to fetch, in turn.
        """
        if not steps:
            return item
        (step, pid), rest = steps[0], steps[1:]
        return self._request(f"{self.base}/statuses/extend?id={quote(pid, safe='')}", self.parse_long_text,
                             errback=self.long_text_failed, item=item, own=own, repost=repost, step=step,
                             expand_id=pid, then=rest)

    def item_from(self, mblog: dict[str, Any]) -> MentionItem | None:
        """The mention of one ``mblog``; None (counted) without an id; a
        :class:`~crawlers.spiders.base.BadPost` when its id or text is of the wrong type."""
        pid = mblog.get("id") or mblog.get("mid")
        if not pid:
            self.count_dropped("no_id")
            return None
        pid = post_id(pid, "id" if mblog.get("id") else "mid")
        # The author is worth having, not worth losing the post over.
        user = self.optional_object(mblog, "user")
        own = text_field(mblog, "text", "raw_text")
        uid = user.get("id")
        return self.mention(
            external_id=pid,
            url=f"https://m.weibo.cn/detail/{pid}",
            text=own + repost_text(mblog),
            published_at=mblog.get("created_at"),
            reposts=mblog.get("reposts_count"),
            comments=mblog.get("comments_count"),
            likes=mblog.get("attitudes_count"),
            # The reposter is the author: it is their post, seen by their followers.
            author_id=str(uid) if isinstance(uid, (str, int)) and not isinstance(uid, bool) else None,
            author_name=user.get("screen_name"),
            author_followers=user.get("followers_count"),
            author_verified=bool(user.get("verified")),
            # -1 none, 0 personal (orange V), 1-7 institutional (blue V): who is speaking matters.
            author_verified_type=user.get("verified_type"),
            timezone=WEIBO_TZ,
        )

    def parse_long_text(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        item: MentionItem = meta["item"]
        step, own, repost = meta.get("step", "own"), *_parts(meta)
        long_text = None
        try:
            data = response.json()
        except ValueError:
            data = NOT_JSON
        if isinstance(data, dict) and data.get("ok") in (1, "1", True) and isinstance(data.get("data"), dict):
            long_text = data["data"].get("longTextContent")
        if isinstance(long_text, str) and long_text:
            if step == "original":
                repost = REPOST_MARK + long_text
            else:
                own = long_text
            item["text"] = own + repost
        else:
            if not isinstance(data, dict):
                why = "not JSON" if data is NOT_JSON else f"answer was {json_type(data)}"
            elif long_text is not None and not isinstance(long_text, str):
                why = f"longTextContent is {json_type(long_text)}, not a string"
            else:
                why = f"ok: {data.get('ok')}"
            self._long_text_missing(item, why, meta)
        yield self._expand(item, own, repost, meta.get("then") or [])

    def long_text_failed(self, failure: Any) -> Iterator[Any]:
        meta = failure.request.meta
        item: MentionItem = meta["item"]
        self._long_text_missing(item, failure.getErrorMessage()[:200], meta)
        # What was expanded so far stays; the rest of the post's text is still worth a try.
        yield self._expand(item, *_parts(meta), meta.get("then") or [])

    def _long_text_missing(self, item: MentionItem, why: str, meta: Any = None, whose: str = "") -> None:
        # The truncated text is better than nothing, but a run that keeps losing long texts
        # (cookie rejected by /statuses/extend only) must be visible.
        if meta is not None and meta.get("step") == "original":
            whose = f"the original {meta.get('expand_id')} of "
        self.crawler.stats.inc_value("repmon/longtext_failed")
        self.logger.warning("source %s: full text of %s%s not available (%s); kept the truncated text",
                            self.source_id, whose, item["external_id"], why)


# A post's text still to expand: its own text, the marked original, and the ("own" |
# "original", id) parts to fetch.
Expansion = tuple[str, str, list[tuple[str, str]]]


def _parts(meta: Any) -> tuple[str, str]:
    """A post's own text and marked original, as expanded so far (a request without ``own``
    expands only the post's own text: its item's text is own + repost)."""
    text, repost = meta["item"]["text"], meta.get("repost", "")
    own = meta.get("own")
    if own is None:
        own = text[: len(text) - len(repost)] if repost and text.endswith(repost) else text
    return own, repost


def _long_text_block(rt: dict[str, Any]) -> str:
    """The full text a post carries in its ``longText`` block ("" if none)."""
    long = rt.get("longText") if isinstance(rt.get("longText"), dict) else {}
    text = long.get("longTextContent")
    return text if isinstance(text, str) else ""


def repost_text(mblog: dict[str, Any]) -> str:
    """The reposted original's text, marked, to append to the reposter's own words ("" if none)."""
    rt = mblog.get("retweeted_status")
    if not isinstance(rt, dict):
        return ""
    # The original is context for the reposter's words: one of the wrong type is left out.
    original = next((t for t in (_long_text_block(rt), rt.get("text"), rt.get("raw_text")) if isinstance(t, str) and t), "")
    return REPOST_MARK + original if original else ""
