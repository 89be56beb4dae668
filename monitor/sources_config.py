"""Config models for sources, one class per source kind.

Every source shares :class:`SourceBase` (id, interval, headers, cookies, politeness);
each kind adds its own options and is selected by its ``kind`` key. To add a kind,
define a subclass with ``kind: Literal["name"]`` and add it to ``SourceConfig``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from monitor.durations import Duration




class SourceBase(BaseModel):
    """Options every source has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="stable id, stored with every mention")
    enabled: bool = True
    interval: Duration = Field(default=timedelta(minutes=10), description="how often the scheduler runs it")
    headers: dict[str, str] = Field(default_factory=dict, description="extra HTTP headers; values may use ${ENV}")
    cookies: dict[str, str] = Field(default_factory=dict, description="cookies; values should use ${ENV}")
    cookie: str | None = Field(
        default=None,
        description="a whole cookie string as the browser sends it ('SUB=...; SUBP=...'), e.g. ${WEIBO_COOKIE}",
    )
    timezone: str | None = Field(default=None, description="zone for times the source gives without one")
    download_delay: Duration | None = None
    concurrent_requests_per_domain: int | None = Field(default=None, ge=1, le=64)
    max_items: int | None = Field(default=None, ge=1, description="stop after this many items per run")
    max_pages: int = Field(default=3, ge=1, le=100, description="how deep to page per run")
    fail_notice_after: int = Field(default=3, ge=1, description="consecutive failed runs before an ops notice")

    @model_validator(mode="before")
    @classmethod
    def _cookie_header_to_cookie(cls, data: Any) -> Any:
        # Scrapy's cookie middleware replaces a Cookie header with its own jar, silently
        # losing it: a Cookie given under headers is read like the cookie option instead.
        if not isinstance(data, dict) or not isinstance(data.get("headers"), dict):
            return data
        headers = dict(data["headers"])
        found = [k for k in headers if str(k).lower() == "cookie"]
        if not found:
            return data
        parts = [str(headers.pop(k)) for k in found]
        if data.get("cookie"):
            parts.insert(0, str(data["cookie"]))
        return {**data, "headers": headers, "cookie": "; ".join(parts)}

    @model_validator(mode="after")
    def _cookie_has_pairs(self) -> "SourceBase":
        if self.cookie is not None and self.cookie.strip() and not parse_cookie_string(self.cookie):
            raise ValueError("cookie: no name=value pair found (expected 'NAME=value; NAME2=value2')")
        return self

    def cookie_jar(self) -> dict[str, str]:
        """Every cookie of the source: those of the ``cookie`` string, then ``cookies`` (which win)."""
        return {**parse_cookie_string(self.cookie or ""), **self.cookies}


def parse_cookie_string(text: str) -> dict[str, str]:
    """``"a=1; b=x=y"`` → ``{"a": "1", "b": "x=y"}``, as a browser's Cookie header or
    ``document.cookie`` gives them. A split on ';' rather than :class:`http.cookies.SimpleCookie`,
    which rejects the whole string on one value it finds unusual (Weibo's have some)."""
    jar: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip():
            jar[name.strip()] = value.strip().strip('"')
    return jar


class JsonlSource(SourceBase):
    """Mentions as JSON lines, read from a local file or fetched from a URL.

    Each line is one object with the mention fields (``id``, ``text``, ``url``,
    ``author`` {id, name, followers, verified}, ``published_at``, ``reposts``,
    ``comments``, ``likes``, optional ``fetched_at`` and ``lang``).
    """

    kind: Literal["jsonl"]
    path: str | None = Field(default=None, description="local file, relative to config.yaml")
    url: str | None = Field(default=None, description="http(s) or file URL")
    replay: bool = Field(
        default=False,
        description="shift every time in the file so the newest one is 'now' (demos and drills)",
    )

    @model_validator(mode="after")
    def _one_location(self) -> "JsonlSource":
        if bool(self.path) == bool(self.url):
            raise ValueError("give exactly one of path or url")
        return self


class WeiboSource(SourceBase):
    """Weibo keyword search through the mobile API (m.weibo.cn)."""

    kind: Literal["weibo"]
    keywords: list[str] = Field(min_length=1, description="search terms, one search each")
    base_url: str = Field(default="https://m.weibo.cn", description="API base (mirrors, proxies, tests)")
    search_type: int = Field(
        default=61, ge=1,
        description="search container type: 61 real-time (newest first, which incremental paging needs), 1 all (relevance)",
    )
    expand_long_text: bool = Field(default=True, description="fetch the full text of truncated posts")


class RssSource(SourceBase):
    """RSS 2.0 or Atom feeds (news search feeds, RSSHub routes)."""

    kind: Literal["rss"]
    urls: list[str] = Field(min_length=1)


class HtmlSelectors(BaseModel):
    """CSS selectors, or XPath when they start with / or ( or xpath:."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(description="one element per post")
    text: str
    link: str | None = None
    author: str | None = None
    time: str | None = None
    id: str | None = Field(default=None, description="post id; the link when not given")
    reposts: str | None = None
    comments: str | None = None
    likes: str | None = None
    next: str | None = Field(default=None, description="link to the next page")


class HtmlSource(SourceBase):
    """Any web page listing posts, read with selectors from the config."""

    kind: Literal["html"]
    urls: list[str] = Field(min_length=1)
    selectors: HtmlSelectors


class MastodonSource(SourceBase):
    """A Mastodon instance: hashtag timelines, and full-text search with a token."""

    kind: Literal["mastodon"]
    base_url: str = Field(description="the instance, e.g. https://mastodon.social")
    hashtags: list[str] = Field(default_factory=list)
    search: list[str] = Field(default_factory=list, description="search terms (needs token)")
    token: SecretStr | None = Field(default=None, description="access token, as ${MASTODON_TOKEN}")

    @model_validator(mode="after")
    def _something(self) -> "MastodonSource":
        if not self.hashtags and not self.search:
            raise ValueError("give hashtags or search terms")
        if self.search and not self.token:
            raise ValueError("search needs a token")
        return self


class BlueskySource(SourceBase):
    """Bluesky post search (app.bsky.feed.searchPosts), follower counts from getProfiles."""

    kind: Literal["bluesky"]
    base_url: str = Field(default="https://public.api.bsky.app", description="AppView base URL")
    queries: list[str] = Field(min_length=1)
    token: SecretStr | None = Field(default=None, description="bearer token if the AppView asks for one")


class MediaCrawlerSource(SourceBase):
    """Files written by MediaCrawler (JSON, JSONL, CSV) in a folder, read incrementally."""

    kind: Literal["mediacrawler"]
    path: str = Field(description="MediaCrawler's data folder, relative to config.yaml")
    platforms: list[Literal["xhs", "douyin", "kuaishou", "bilibili", "weibo", "tieba", "zhihu"]] = Field(
        default_factory=lambda: ["xhs", "douyin", "kuaishou", "bilibili", "weibo", "tieba", "zhihu"])
    include_comments: bool = Field(default=False, description="also ingest *_comments_* files")


SourceConfig = Annotated[
    Union[JsonlSource, WeiboSource, RssSource, HtmlSource, MastodonSource, BlueskySource, MediaCrawlerSource],
    Field(discriminator="kind"),
]
