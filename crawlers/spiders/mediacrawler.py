"""Files written by MediaCrawler (Xiaohongshu, Douyin, Kuaishou, Bilibili, Weibo, Tieba, Zhihu).

MediaCrawler writes ``data/{platform}/{json|jsonl|csv}/{type}_{contents|comments|creators}_{date}.{ext}``:
JSON files are one array rewritten on every item, JSONL and CSV (utf-8 with BOM) grow
by appending. This source watches the folder and reads only what is new: for JSONL and
CSV it remembers the byte offset of the last complete record, for JSON how many entries
it has read. The memory is committed when a run finishes, so a run that dies is simply
read again (re-read posts update, they are never stored twice). Older files carry user
ids and fan counts; newer ones ``creator_hash`` and masked nicknames — both are read.

Fan counts are only in the ``*_creators_*`` files (one row per account). They are
remembered per platform and user id in the source's state and joined into every
mention by that author; when a creators file brings counts for authors whose posts were
read in earlier runs, those posts are read again from their files so the counts reach
them too.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import signals

from crawlers.items import MentionItem
from crawlers.spiders.base import MentionSpider
from monitor.sources_config import MediaCrawlerSource

PLATFORM_NAMES = {
    "xhs": "xhs", "xiaohongshu": "xhs", "douyin": "douyin", "dy": "douyin", "kuaishou": "kuaishou", "ks": "kuaishou",
    "bilibili": "bilibili", "bili": "bilibili", "weibo": "weibo", "wb": "weibo", "tieba": "tieba", "zhihu": "zhihu",
}
# First present field wins. Field names per platform are those of MediaCrawler's store/
# modules: xhs note_id/desc/time/liked_count/share_count; douyin aweme_id/aweme_url;
# kuaishou and bilibili video_id/video_url (bilibili video_comment, video_share_count);
# weibo content/create_date_time/shared_count; tieba total_replay_num/publish_time;
# zhihu content_id/content_text (the full answer; desc is an excerpt)/voteup_count.
FIELDS: dict[str, tuple[str, ...]] = {
    "external_id": ("note_id", "aweme_id", "video_id", "content_id"),
    "title": ("title",),
    "text": ("content_text", "desc", "content"),
    "url": ("note_url", "aweme_url", "video_url", "content_url"),
    "published_at": ("time", "create_time", "created_time", "publish_time", "create_date_time"),
    "author_id": ("user_id", "creator_hash", "sec_uid", "user_link", "user_url_token"),
    "author_name": ("nickname", "user_nickname"),
    "author_followers": ("fans", "total_fans", "fans_count", "followers_count", "follower_count"),
    "likes": ("liked_count", "like_count", "voteup_count", "comment_like_count"),
    "comments": ("comment_count", "comments_count", "video_comment", "total_replay_num", "sub_comment_count"),
    "reposts": ("share_count", "shared_count", "video_share_count"),
}
# A comment row also names its post (note_id, aweme_id, ...): only its own id identifies it,
# or every comment would overwrite the post it answers.
COMMENT_ID = ("comment_id",)
# Ids a creators row is known by, and those a post row names its author by (Douyin's
# creator mode keys creators by sec_uid; Zhihu's also have url_token).
CREATOR_KEYS = ("user_id", "sec_uid", "url_token")
AUTHOR_KEYS = ("user_id", "sec_uid", "user_url_token")
# MediaCrawler writes str(None) for a count the platform left out (Kuaishou does).
MISSING = ("", "None", "none", "null", "NULL")
FOLLOWERS_STATE = "creator_followers"


def platform_of(path: Path) -> str | None:
    for part in [path.stem.split("_")[0], *reversed(path.parent.parts)]:
        p = PLATFORM_NAMES.get(part.lower())
        if p:
            return p
    return None


def file_kind(path: Path) -> str | None:
    """``contents``, ``comments`` or ``creators`` from a MediaCrawler file name."""
    for kind in ("contents", "comments", "creators"):
        if f"_{kind}_" in path.name or path.stem.endswith(f"_{kind}"):
            return kind
    return None


def present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() in MISSING)


def pick(row: dict[str, Any], field: str, keys: tuple[str, ...] | None = None) -> Any:
    for key in keys or FIELDS[field]:
        value = row.get(key)
        if present(value):
            return value
    return None


@dataclass
class Record:
    """One record of a file and where the file's memory stands once it is consumed.
    ``row`` is None for a blank or unreadable record: nothing to yield, but read past."""

    row: dict[str, Any] | None
    state: dict[str, Any]
    bad: bool = False  # a record that is there but unreadable (not blank)
    damage: str | None = None  # why a CSV record is damaged (not just an unreadable row)


class MediaCrawlerSpider(MentionSpider):
    kind = "mediacrawler"

    def __init__(self, source: MediaCrawlerSource, base_dir: Path | None = None, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.cfg = source
        root = Path(source.path).expanduser()
        self.root = root if root.is_absolute() else (base_dir or Path.cwd()) / root
        self.new_state: dict[str, dict[str, Any]] = {}
        self.followers: dict[str, Any] = {}  # "platform:user id" -> fan count as written
        self.budget: int | None = source.max_items

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "MediaCrawlerSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.save_state, signal=signals.spider_closed)
        return spider

    # max_items is kept here, row by row, so the file memory stops where the items did.
    limits_itself = True

    async def start(self):
        if not self.root.is_dir():
            self.report_error(f"MediaCrawler folder {self.root} does not exist")
            return
        state = self.load_state()
        self.followers = dict(state.get(FOLLOWERS_STATE, {}).get("followers", {}))
        files = sorted(self.files())
        learned = self.read_creators([p for p in files if file_kind(p) == "creators"], state)
        posts = [p for p in files if file_kind(p) != "creators"]
        for path in posts:
            for item in self.read_file(path, state.get(str(path), {})):
                yield item
        if learned:
            for path in posts:
                for item in self.reread_for_authors(path, state.get(str(path), {}), learned):
                    yield item

    def files(self) -> Iterator[Path]:
        kinds = {"contents", "creators"} | ({"comments"} if self.cfg.include_comments else set())
        for path in self.root.rglob("*"):
            if path.suffix.lower() not in (".json", ".jsonl", ".csv") or not path.is_file():
                continue
            if file_kind(path) not in kinds:
                continue
            platform = platform_of(path.relative_to(self.root))
            if platform in self.cfg.platforms:
                yield path

    # ------------------------------------------------------------------ creators

    def read_creators(self, paths: list[Path], state: dict[str, dict[str, Any]]) -> set[str]:
        """Remember the fan counts of new creators rows; the keys whose count is new or changed."""
        learned: set[str] = set()
        for path in paths:
            platform = platform_of(path.relative_to(self.root)) or "unknown"
            records = self._records(path, state.get(str(path), {}))
            if records is None:
                continue
            self._report_damage(path, records)
            for rec in records:
                if rec.row is None:
                    continue
                fans = pick(rec.row, "author_followers")
                if fans is None:
                    continue
                for key in CREATOR_KEYS:
                    if present(rec.row.get(key)):
                        k = f"{platform}:{rec.row[key]}"
                        if self.followers.get(k) != fans:
                            self.followers[k] = fans
                            learned.add(k)
            if records:
                self.new_state[str(path)] = records[-1].state
        if learned:
            self.new_state[FOLLOWERS_STATE] = {"followers": self.followers}
        return learned

    def followers_of(self, row: dict[str, Any], platform: str) -> Any:
        for key in AUTHOR_KEYS:
            if present(row.get(key)):
                found = self.followers.get(f"{platform}:{row[key]}")
                if found is not None:
                    return found
        return None

    def reread_for_authors(self, path: Path, seen: dict[str, Any], authors: set[str]) -> Iterator[MentionItem]:
        """Posts read in earlier runs by authors whose fan count just arrived: read again, so
        the stored mentions get it (a re-read post updates, it is never stored twice)."""
        if not seen:
            return
        platform = platform_of(path.relative_to(self.root)) or "unknown"
        kind = file_kind(path)
        done = {"rows": seen["rows"]} if "rows" in seen else {"offset": seen.get("offset", 0)}
        try:
            records = self._parse(path, {}, path.stat().st_size, until=done)
        except (OSError, UnicodeDecodeError, ValueError):
            return
        for rec in records or []:
            if rec.row is not None and any(present(rec.row.get(k)) and f"{platform}:{rec.row[k]}" in authors for k in AUTHOR_KEYS):
                item = self.item_from(rec.row, platform, kind)
                if item is not None:
                    self.crawler.stats.inc_value("repmon/followers_joined_later")
                    yield item

    # ------------------------------------------------------------------ posts and comments

    def read_file(self, path: Path, seen: dict[str, Any]) -> Iterator[MentionItem]:
        platform = platform_of(path.relative_to(self.root)) or "unknown"
        kind = file_kind(path)
        records = self._records(path, seen)
        if not records:
            return
        name = str(path.relative_to(self.root))
        rows = [r.row for r in records if r.row is not None]
        bad = sum(r.bad for r in records)
        if bad and bad >= len(rows):
            # Mostly garbage is a damaged file, not a quiet day; the readable rows still count.
            damage = next((r.damage for r in records if r.damage), None)
            self.report_error(f"{name}: {bad} of {bad + len(rows)} records are unreadable "
                              f"({damage + '; ' if damage else ''}damaged file?)")
        else:
            self._report_damage(path, records)
        id_keys = COMMENT_ID if kind == "comments" else FIELDS["external_id"]
        text_keys = FIELDS["text"] if kind == "comments" else FIELDS["text"] + FIELDS["title"]
        for field, keys in (("id", id_keys), ("text", text_keys)):
            if rows and not any(pick(r, field, keys) for r in rows):
                # Kept unread (the memory does not move), so an updated repmon reads them.
                self.report_error(f"{name}: no row has {'an' if field == 'id' else 'a'} {field} field ({', '.join(keys)}); "
                                  "MediaCrawler's format changed?")
                return
        for rec in records:
            if rec.row is None:
                self.new_state[str(path)] = rec.state
                continue
            if self.budget is not None:
                if self.budget <= 0:
                    # The rest waits for the next run: the memory stops at the last row taken.
                    self.crawler.stats.inc_value("repmon/capped")
                    break
                self.budget -= 1
            self.new_state[str(path)] = rec.state
            item = self.item_from(rec.row, platform, kind)
            if item is not None:
                yield item

    def _report_damage(self, path: Path, records: list[Record]) -> None:
        # A CSV record csv cannot read (a bare CR outside quotes) is no half-written line
        # that the next run completes: it is damage, named, and read past.
        damaged = [r for r in records if r.damage]
        if damaged:
            self.report_error(f"{path.relative_to(self.root)}: skipped {len(damaged)} damaged CSV record(s) "
                              f"({damaged[0].damage})")

    def _records(self, path: Path, seen: dict[str, Any]) -> list[Record] | None:
        try:
            return self._parse(path, seen, path.stat().st_size)
        except (OSError, UnicodeDecodeError) as exc:
            self.report_error(f"{path.relative_to(self.root)}: cannot read ({exc.__class__.__name__})")
            return None

    def _parse(self, path: Path, seen: dict[str, Any], size: int, until: dict[str, Any] | None = None) -> list[Record]:
        ext = path.suffix.lower()
        if ext == ".json":
            return self._read_json(path, seen, size, until)
        return self._read_lines(path, seen, size, csv_mode=ext == ".csv", until=until)

    def _read_json(self, path: Path, seen: dict[str, Any], size: int, until: dict[str, Any] | None) -> list[Record]:
        mtime = path.stat().st_mtime
        if until is None and seen.get("size") == size and seen.get("mtime") == mtime:
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig") or "[]")
        except ValueError:
            if until is not None:
                return []
            # MediaCrawler rewrites the whole file per item: we may have caught it mid-write.
            # Still broken, unchanged, a run later: it is damaged, not being written.
            broken = {"broken_size": size, "broken_mtime": mtime}
            if all(seen.get(k) == v for k, v in broken.items()):
                self.report_error(f"{path.relative_to(self.root)}: not valid JSON, unchanged since the last run "
                                  "(truncated or damaged file)")
            else:
                self.logger.info("%s is being written; will read it next run", path.name)
                self.new_state[str(path)] = {**seen, **broken}
            return []
        if not isinstance(data, list):
            self.report_error(f"{path.relative_to(self.root)}: expected a JSON array")
            return []
        start = seen.get("rows", 0) if seen.get("rows", 0) <= len(data) else 0
        stop = min(until["rows"], len(data)) if until else len(data)
        return [
            Record(row, {"size": size if i + 1 == len(data) else None, "mtime": mtime if i + 1 == len(data) else None,
                         "rows": i + 1})
            for i, row in enumerate(data[start:stop], start) if isinstance(row, dict)
        ]

    def _read_lines(self, path: Path, seen: dict[str, Any], size: int, csv_mode: bool,
                    until: dict[str, Any] | None) -> list[Record]:
        offset = seen.get("offset", 0)
        if offset > size:  # the file was replaced or truncated
            offset = 0
        header: list[str] = []
        with path.open("rb") as f:
            if csv_mode:
                head_end, head = first_record(f)
                if head_end is None:
                    return []  # not even the header is complete yet
                try:
                    header = next(csv.reader(io.StringIO(head.decode("utf-8-sig"))), [])
                except csv.Error as exc:
                    return self._damaged_header(path, offset, size, until, exc)
                offset = max(offset, head_end)
            f.seek(offset)
            chunk = f.read(until["offset"] - offset) if until else f.read()
        records: list[Record] = []
        bad = 0
        start = 0
        # A half-written last record (no newline yet, or inside a quoted CSV field) waits for the next run.
        for end in record_ends(chunk, csv_mode):
            raw = chunk[start:end].decode("utf-8")
            state = {"offset": offset + end, "size": size}
            at, start = offset + start, end
            row: Any = None
            if raw.strip():
                if csv_mode:
                    try:
                        row = dict(zip(header, next(csv.reader(io.StringIO(raw)), [])))
                    except csv.Error as exc:
                        bad += 1
                        records.append(Record(None, state, bad=True, damage=f"the record at byte {at}: {exc}"))
                        continue
                else:
                    try:
                        row = json.loads(raw)
                    except ValueError:
                        pass
                if not isinstance(row, dict):
                    bad += 1
                    records.append(Record(None, state, bad=True))
                    continue
            records.append(Record(row, state))
        if bad:
            self.count_dropped("bad_csv" if csv_mode else "bad_json", bad)
        return records

    def _damaged_header(self, path: Path, offset: int, size: int, until: dict[str, Any] | None, exc: csv.Error) -> list[Record]:
        """A CSV file whose header csv cannot read: no record in it can be read either.
        Reported (once per batch of new bytes) and read past, so the run goes on to later
        files and the next run does not stop here again."""
        if until is None and offset < size:
            self.report_error(f"{path.relative_to(self.root)}: the CSV header is damaged ({exc}); "
                              f"skipped {size - offset} bytes of it")
            self.new_state[str(path)] = {"offset": size, "size": size}
        return []

    def item_from(self, row: dict[str, Any], platform: str, kind: str | None = "contents") -> MentionItem | None:
        comment = kind == "comments"
        ext = pick(row, "external_id", COMMENT_ID if comment else None)
        title, body = (None if comment else pick(row, "title")), pick(row, "text")
        text = body if not title or (body and str(title) in str(body)) else (f"{title}\n{body}" if body else title)
        followers = pick(row, "author_followers")
        if followers is None:
            followers = self.followers_of(row, platform)
        return self.mention(
            external_id=(f"{platform}:comment:{ext}" if comment else f"{platform}:{ext}") if ext else None,
            url=pick(row, "url"),
            text=text,
            published_at=pick(row, "published_at"),
            author_id=pick(row, "author_id"),
            author_name=pick(row, "author_name"),
            author_followers=followers,
            likes=_count(pick(row, "likes")),
            comments=_count(pick(row, "comments")),
            reposts=_count(pick(row, "reposts")),
            timezone="Asia/Shanghai",
        )

    # ------------------------------------------------------------------ state

    def load_state(self) -> dict[str, dict[str, Any]]:
        """What earlier runs read: per file its offset or row count, and the fan counts."""
        return self.crawl_state.load()

    def save_state(self, spider: Any, reason: str) -> None:
        """Commit what this run read, only when it finished and its mentions were all
        stored (the last batch is committed before this signal): a run that dies, or
        whose mentions could not be stored, is read again."""
        if reason != "finished" or not self.new_state:
            return
        if self.crawler.stats.get_value("repmon/ingest_errors", 0):
            self.logger.warning("source %s: some mentions could not be scored or stored; the files are read again next run",
                                self.source_id)
            return
        self.crawl_state.save(self.new_state)


_CSV_MARKS = re.compile(rb'["\n]')


def record_ends(data: bytes, csv_mode: bool) -> list[int]:
    """Offsets just past each complete record in ``data``: after a newline, and for CSV
    only one outside a quoted field (a quoted value may hold newlines). UTF-8 never puts
    the bytes of ``"`` or a newline inside another character, so bytes can be scanned."""
    if not csv_mode:
        ends, pos = [], data.find(b"\n")
        while pos >= 0:
            ends.append(pos + 1)
            pos = data.find(b"\n", pos + 1)
        return ends
    ends, quoted = [], False
    for m in _CSV_MARKS.finditer(data):
        if m.group() == b'"':  # an escaped "" toggles twice
            quoted = not quoted
        elif not quoted:
            ends.append(m.end())
    return ends


def first_record(f: Any, step: int = 65536) -> tuple[int | None, bytes]:
    """The end offset and bytes of a CSV file's first record (its header), or (None, b"")
    while it is incomplete."""
    data = b""
    while True:
        more = f.read(step)
        data += more
        ends = record_ends(data, csv_mode=True)
        if ends:
            return ends[0], data[: ends[0]]
        if not more:
            return None, b""


def _count(value: Any) -> Any:
    # MediaCrawler writes "10+" for small Xiaohongshu counts; the normaliser reads "10".
    if isinstance(value, str) and value.endswith("+") and value[:-1].isdigit():
        return value[:-1]
    return value
