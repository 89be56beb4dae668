"""What every repmon spider shares: its source config, and a way to report source errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, ClassVar, TypeVar

import scrapy

from crawlers.context import SETTINGS_KEY, IngestContext
from crawlers.extensions import at_item_limit
from crawlers.items import MentionItem
from monitor.crawl_state import CrawlState
from monitor.sources_config import SourceBase


T = TypeVar("T")

LOGIN_WORDS = ("login", "log in", "sign in", "sign_in", "signin", "passport", "登录", "验证码", "captcha", "sina visitor")


def looks_like_login(body: str) -> bool:
    """Whether a page is a login wall or captcha (what a site serves when a cookie or token
    is missing or expired)."""
    return any(w in body[:3000].lower() for w in LOGIN_WORDS)


class BadPost(ValueError):
    """A post whose fields do not have the shape its spider reads (the site's format
    changed, or one post is odd): :meth:`MentionSpider.read_posts` drops it, counted."""


# What reading one post can raise on fields of an unexpected type, besides BadPost (a
# ValueError): caught per post, so one odd post never costs the rest of its page.
POST_ERRORS = (AttributeError, KeyError, IndexError, TypeError, ValueError)


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, with its article, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else f"a {type(value).__name__}"


def post_id(value: Any, field: str = "id") -> str:
    """A post id as text: a string or a whole number, anything else is a :class:`BadPost`."""
    if isinstance(value, str) and value.strip() or isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BadPost(f"'{field}' is {json_type(value)}, not a string or number")


def text_field(obj: dict[str, Any], *keys: str) -> str:
    """The first non-empty of ``keys`` (a post's text): "" if none is there, a
    :class:`BadPost` if it is no string (a number or an object is no text to store)."""
    for key in keys:
        value = obj.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise BadPost(f"'{key}' is {json_type(value)}, not a string")
        return value
    return ""


class MentionSpider(scrapy.Spider):
    """Base of every source's spider. A spider only fetches and parses; it yields
    :class:`MentionItem` and leaves normalising, matching and storing to the pipelines."""

    kind: ClassVar[str] = ""
    name = "mention"
    items_taken = 0  # items handed to the pipelines this run (see crawlers.extensions.ItemLimit)

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        if "scrapy_redis" in str(settings.get("SCHEDULER")):
            return  # a worker's spider lives across rounds: a per-run item count means nothing there
        # Merged into what the crawl configured.
        middlewares = settings.getdict("SPIDER_MIDDLEWARES")
        middlewares.setdefault("crawlers.extensions.ItemLimit", 950)
        settings.set("SPIDER_MIDDLEWARES", middlewares, priority="spider")

    def __init__(self, source: SourceBase, **kwargs: Any):
        super().__init__(name=source.id, **kwargs)
        self.source = source
        self.source_id = source.id
        self.source_errors: list[str] = []

    def seed_requests(self) -> Any:
        """The first requests of a run (a spider's own paging follows from their responses)."""
        return iter(())

    async def start(self):
        for request in self.seed_requests():
            yield request

    def report_error(self, message: str) -> None:
        """Record a fault of the source itself (login wall, changed format, `ok: 0`).

        The run is marked failed with this message in the source's health record;
        crawling of other sources is unaffected.
        """
        self.logger.log(logging.WARNING, "source %s: %s", self.source_id, message)
        self.source_errors.append(message)
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("repmon/source_errors")

    def count_dropped(self, reason: str, n: int = 1) -> None:
        """Count ``n`` records dropped by the spider itself (they never reach the pipelines,
        which count their own drops the same way: ``repmon/dropped/<reason>``)."""
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("repmon/dropped", n)
            self.crawler.stats.inc_value(f"repmon/dropped/{reason}", n)

    def read_posts(self, posts: Iterable[Any], build: Callable[[dict[str, Any]], T | None], what: str) -> list[T]:
        """``build`` applied to each post of a page, in order; a None it returns is a post it
        dropped itself (and counted).

        A post that is no object, or that ``build`` cannot read (a field of an unexpected
        type: a :class:`BadPost`, or the error such a field causes), is dropped and counted
        as ``bad_item``; the rest of the page, and its paging, go on. When most of the page
        is unreadable the site's format has changed: a source error names the first fault.
        """
        built: list[T] = []
        faults: list[str] = []
        total = 0
        for post in posts:
            total += 1
            try:
                if not isinstance(post, dict):
                    raise BadPost(f"a post is {json_type(post)}, not an object")
                result = build(post)
            except POST_ERRORS as exc:
                faults.append(str(exc) if isinstance(exc, BadPost) else f"{exc.__class__.__name__}: {exc}")
                continue
            if result is not None:
                built.append(result)
        if faults:
            self.count_dropped("bad_item", len(faults))
            self.logger.warning("source %s: %s: dropped %d unreadable post(s): %s", self.source_id, what, len(faults), faults[0])
            if len(faults) * 2 > total:
                self.report_error(f"{what}: {len(faults)} of {total} posts are unreadable ({faults[0]}; format changed?)")
        return built

    def optional_object(self, post: dict[str, Any], key: str) -> dict[str, Any]:
        """A part of a post the post can do without (its author, its account): {} when it is
        absent or, counted as ``repmon/malformed/<key>``, not an object."""
        value = post.get(key)
        if isinstance(value, dict):
            return value
        if value not in (None, "", [], {}) and self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"repmon/malformed/{key}")
        return {}

    def mention(self, **fields: Any) -> MentionItem:
        """A mention item of this source. The source's configured ``timezone`` wins over the
        zone a spider assumes for its site."""
        if self.source.timezone:
            fields["timezone"] = self.source.timezone
        return MentionItem(source_id=self.source_id, **fields)

    @property
    def ctx(self) -> IngestContext:
        return self.crawler.settings[SETTINGS_KEY]

    @cached_property
    def crawl_state(self) -> CrawlState:
        """What this spider may know from the database about its source (its only way there)."""
        return self.ctx.crawl_state(self.source_id)

    _full_depth: bool | None = None

    def full_depth(self) -> bool:
        """Whether this run must page to full depth: the source's previous run did not
        finish cleanly (killed, crashed, failed), so posts past the known ones may be missing."""
        if self._full_depth is None:
            self._full_depth = self.crawl_state.needs_full_depth(getattr(self, "run_id", None))
        return self._full_depth

    def should_page_on(self, external_ids: list[str]) -> bool:
        """Incremental fetching: go on to the next page unless every post here is known
        (always go on after an unclean previous run)."""
        if not external_ids or at_item_limit(self):
            return False
        return self.full_depth() or len(self.known_ids(external_ids)) < len(external_ids)

    def known_ids(self, external_ids: list[str]) -> set[str]:
        """Which of these posts this source has stored already: paging stops at known posts."""
        return self.crawl_state.known_ids(external_ids)

    def request_headers(self) -> dict[str, str]:
        return dict(self.source.headers)

    def cookies(self) -> dict[str, str]:
        """The source's cookies: its ``cookie`` string and ``cookies`` map together."""
        return self.source.cookie_jar()

    def check_json(self, response: Any, what: str, expect: type | tuple[type, ...] = dict) -> Any:
        """The JSON body, or None after reporting why it is not JSON (login wall, captcha,
        junk) or not of the ``expect`` type: a ``null`` or a bare number is a source fault,
        never an empty page."""
        import json

        body = response.text if hasattr(response, "text") else response.body.decode("utf-8", "replace")
        head = body.lstrip()[:200].lower()
        if head.startswith("<"):
            if looks_like_login(body):
                self.report_error(f"{what}: got a login or captcha page instead of JSON (cookie missing or expired?)")
            else:
                self.report_error(f"{what}: got an HTML page instead of JSON (the API changed or is blocked)")
            return None
        if not body.strip():
            self.report_error(f"{what}: empty answer")
            return None
        try:
            data = json.loads(body)
        except ValueError:
            self.report_error(f"{what}: answer is not valid JSON (truncated or changed format)")
            return None
        if not isinstance(data, expect):
            wanted = expect[0] if isinstance(expect, tuple) else expect
            self.report_error(f"{what}: answer was {json_type(data)}, "
                              f"not a JSON {'array' if wanted is list else 'object'} (format changed?)")
            return None
        return data

    def http_error(self, failure: Any) -> None:
        """Errback: an HTTP error or a network fault is a source error naming the status."""
        from scrapy.spidermiddlewares.httperror import HttpError

        if failure.check(HttpError):
            status = failure.value.response.status
            hint = {401: " (token or cookie rejected)", 403: " (blocked or cookie expired)", 429: " (rate limited)"}.get(status, "")
            self.report_error(f"HTTP {status} from {failure.value.response.url.split('?')[0]}{hint}")
        else:
            self.report_error(f"cannot fetch {failure.request.url.split('?')[0]}: {failure.getErrorMessage()[:200]}")
