"""JSON-lines source: import or replay mentions from a file or URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.normalise import parse_time
from crawlers.spiders.base import MentionSpider
from monitor.sources_config import JsonlSource

# Accepted spellings of each mention field, first match wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "id", "mid", "post_id", "note_id"),
    "url": ("url", "link"),
    "text": ("text", "content", "body"),
    "published_at": ("published_at", "created_at", "time", "date"),
    "fetched_at": ("fetched_at",),
    "reposts": ("reposts", "reposts_count", "shares"),
    "comments": ("comments", "comments_count", "replies"),
    "likes": ("likes", "likes_count", "attitudes_count"),
    "language": ("language", "lang"),
    "author_id": ("author_id", "user_id"),
    "author_name": ("author_name", "user_name", "nickname"),
    "author_followers": ("author_followers", "followers"),
    "author_verified": ("author_verified", "verified"),
}
AUTHOR_KEYS = {"id": "author_id", "name": "author_name", "followers": "author_followers", "verified": "author_verified"}


class JsonlSpider(MentionSpider):
    """Reads mention objects, one JSON object per line, from ``path`` or ``url``."""

    kind = "jsonl"

    def __init__(self, source: JsonlSource, base_dir: Path | None = None, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.cfg = source
        if source.path:
            p = Path(source.path).expanduser()
            if not p.is_absolute():
                p = (base_dir or Path.cwd()) / p
            self.start_url = p.resolve().as_uri()
        else:
            self.start_url = str(source.url)

    def seed_requests(self):
        if self.cfg.url:
            yield scrapy.Request(self.start_url, callback=self.parse, errback=self.failed, headers=self.request_headers(),
                                 cookies=self.cookies(), dont_filter=True)
        else:
            yield scrapy.Request(self.start_url, callback=self.parse, errback=self.failed, dont_filter=True)

    def failed(self, failure: Any) -> None:
        self.report_error(f"cannot read {self.start_url}: {failure.getErrorMessage()}")

    def parse(self, response: Response) -> Iterator[MentionItem]:
        try:
            body = response.body.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.report_error(f"{self.start_url} is not UTF-8 text")
            return
        records: list[dict[str, Any]] = []
        bad = 0
        # Lines end at "\n" only: str.splitlines() would also cut at U+2028, U+2029 and U+0085,
        # which JSON written with ensure_ascii=False keeps raw inside strings.
        for line in body.split("\n"):
            line = line.removesuffix("\r")
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if isinstance(obj, dict):
                records.append(obj)
            else:
                bad += 1
        if bad:
            self.count_dropped("bad_json", bad)
            self.logger.warning("source %s: %d line(s) are not JSON objects", self.source_id, bad)
            if bad >= len(records):
                # Mostly garbage (an error page, a different format): that is the source failing.
                self.report_error(f"{bad} of {bad + len(records)} lines are not JSON objects (not a JSON-lines file?)")
        if records and not any(_pick(r, "text") for r in records):
            self.report_error("no line has a text field (format changed?)")
            return
        items = [self._item(r) for r in records]
        if self.cfg.replay:
            _shift_to_now(items, self.crawler.settings["REPMON_CONTEXT"].clock.now(), self.settings_tz())
        limit = self.cfg.max_items or len(items)
        yield from items[:limit]

    def settings_tz(self) -> str:
        return self.cfg.timezone or self.crawler.settings["REPMON_CONTEXT"].config.timezone

    def _item(self, r: dict[str, Any]) -> MentionItem:
        fields: dict[str, Any] = {k: _pick(r, k) for k in ALIASES}
        author = r.get("author")
        if isinstance(author, dict):
            for k, target in AUTHOR_KEYS.items():
                if fields.get(target) is None and author.get(k) is not None:
                    fields[target] = author[k]
        elif isinstance(author, str) and not fields.get("author_name"):
            fields["author_name"] = author
        if self.cfg.timezone:
            fields["timezone"] = self.cfg.timezone
        return self.mention(**{k: v for k, v in fields.items() if v is not None})


def _pick(r: dict[str, Any], field: str) -> Any:
    for key in ALIASES[field]:
        if r.get(key) is not None:
            return r[key]
    return None


def _shift_to_now(items: list[MentionItem], now: datetime, tz: str) -> None:
    """Move every time so that the newest one in the file is ``now`` (order and gaps kept).

    Times that cannot be read are left for the normaliser to reject.
    """
    parsed: list[tuple[MentionItem, str, datetime]] = []
    for item in items:
        for key in ("published_at", "fetched_at"):
            if item.get(key) is None:
                continue
            try:
                parsed.append((item, key, parse_time(item[key], now=now, tz=tz)))
            except ValueError:
                pass
    if not parsed:
        return
    shift = now - max(t for _, _, t in parsed)
    for item, key, t in parsed:
        item[key] = (t + shift).isoformat()
