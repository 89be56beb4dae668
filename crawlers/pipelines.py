"""Ingest as Scrapy item pipelines: normalise → brand match → (dedupe → score → store, in batches).

Spiders only parse; everything a mention goes through after that happens here.
A bad item is dropped with a reason counted in the crawl stats under
``repmon/dropped/<reason>``; it never stops the crawl.

Every record a source hands over is counted once in ``repmon/items`` and ends as
exactly one of ``repmon/new``, ``repmon/updated``, ``repmon/unchanged`` or
``repmon/dropped``, so a run's figures add up.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.logformatter import LogFormatter
from sqlalchemy.orm import Session

from crawlers.context import SETTINGS_KEY, IngestContext
from crawlers.normalise import FUTURE_SKEW, clean_text, parse_bool, parse_count, parse_time
from monitor.db import session_scope
from monitor.matching import match_brand
from monitor.mention import NormalMention
from monitor.store import find_mention, save_mention
from monitor.store_batch import MentionBatch

log = logging.getLogger(__name__)

MAX_TEXT = 20_000  # characters kept of one post; longer ones are truncated, not dropped


class Dropped(DropItem):
    """An item dropped for a countable reason (a short slug such as ``no_brand``)."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


class QuietDropFormatter(LogFormatter):
    """Dropped items are normal (most crawled posts match no brand): log them at DEBUG."""

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Spider) -> dict:
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        # The default message includes the whole item; keep the log to the reason.
        entry["msg"] = "Dropped: %(exception)s"
        entry["args"] = {"exception": exception}
        return entry


# Drop reasons that are repmon's own faults (the database, the sentiment model), not the item's.
INGEST_FAULTS = ("store_failed", "score_failed")


class _Stage:
    """Shared plumbing: the ingest context and the crawl's stats."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.ctx: IngestContext = crawler.settings[SETTINGS_KEY]
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "_Stage":
        return cls(crawler)

    def drop(self, reason: str, detail: str = "") -> Dropped:
        if reason in INGEST_FAULTS:
            # Not the item's fault: the run is marked failed, so the health record says so.
            self.stats.inc_value("repmon/ingest_errors")
        self.stats.inc_value("repmon/dropped")
        self.stats.inc_value(f"repmon/dropped/{reason}")
        self.stats.inc_value("repmon/dropped_in_pipeline")
        return Dropped(reason, detail)


class NormalisePipeline(_Stage):
    """Raw mention item → :class:`NormalMention` (plain text, int counts, UTC times)."""

    def close_spider(self, spider: Spider | None = None) -> None:
        # Spiders drop (and count) lines they cannot even turn into an item, such as bad
        # JSON, without passing them here; they were read all the same.
        unread = (self.stats.get_value("repmon/dropped", 0) or 0) - (self.stats.get_value("repmon/dropped_in_pipeline", 0) or 0)
        if unread > 0:
            self.stats.inc_value("repmon/items", unread)

    def process_item(self, item: Any, spider: Spider | None = None) -> NormalMention:
        if isinstance(item, NormalMention):
            return item
        a = ItemAdapter(item)
        self.stats.inc_value("repmon/items")
        source_id = a.get("source_id") or getattr(spider, "source_id", None) or getattr(spider, "name", "?")
        ext = a.get("external_id")
        if ext is None or str(ext).strip() == "":
            raise self.drop("no_id")
        if isinstance(ext, bool) or not isinstance(ext, (str, int)):
            # An object or list is no post id; its Python repr would be stored as one.
            raise self.drop("bad_id", type(ext).__name__)
        raw_text = a.get("text")
        if raw_text is not None and not isinstance(raw_text, (str, int, float)):
            raise self.drop("bad_text", str(ext))
        text = clean_text(raw_text)
        if not text:
            raise self.drop("empty_text", str(ext))
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT]
        now = self.ctx.clock.now()
        tz = a.get("timezone") or self.ctx.config.timezone
        try:
            fetched_at = parse_time(a.get("fetched_at"), now=now, tz=tz) if a.get("fetched_at") else now
        except ValueError:
            raise self.drop("bad_time", f"fetched_at of {ext}") from None
        if fetched_at > now:
            # Nothing is fetched after this crawl's own time; a future fetched_at (a wrong
            # clock, a typo like 2099) would make every later crawl of the post look older
            # and be ignored.
            self.stats.inc_value("repmon/clamped/future_fetched_at")
            fetched_at = now
        if a.get("published_at") in (None, ""):
            # Some pages show no time: the moment we first saw the post is the best we have.
            self.stats.inc_value("repmon/no_time")
            published_at = fetched_at
        else:
            try:
                published_at = parse_time(a.get("published_at"), now=fetched_at, tz=tz)
            except ValueError:
                raise self.drop("bad_time", f"published_at of {ext}") from None
            if published_at > fetched_at + FUTURE_SKEW:
                self.stats.inc_value("repmon/clamped/future_published_at")
                published_at = fetched_at
        try:
            # A count the source left out is unknown (None), not 0: a re-crawl that omits it
            # must not wipe the stored figure.
            counts = {k: None if a.get(k) in (None, "") else parse_count(a.get(k)) for k in ("reposts", "comments", "likes")}
            followers_raw = a.get("author_followers")
            followers = None if followers_raw in (None, "") else parse_count(followers_raw)
        except ValueError as exc:
            raise self.drop("bad_count", f"{ext}: {exc}") from None
        try:
            verified = parse_bool(a.get("author_verified"))
        except ValueError:
            verified = None
        try:
            verified_type = None if a.get("author_verified_type") in (None, "") else int(a.get("author_verified_type"))
        except (TypeError, ValueError):
            verified_type = None
        url, name, language = a.get("url"), a.get("author_name"), a.get("language")
        return NormalMention(
            source_id=str(source_id),
            external_id=str(ext).strip()[:256],
            text=text,
            published_at=published_at,
            fetched_at=fetched_at,
            url=url.strip() or None if isinstance(url, str) else None,
            author_id=_short(a.get("author_id")),
            author_name=_short(clean_text(name)) if isinstance(name, str) else None,
            author_followers=followers,
            author_verified=verified,
            author_verified_type=verified_type,
            language=language or None if isinstance(language, str) else None,
            **counts,
        )


def _short(value: Any, limit: int = 256) -> str | None:
    # Optional fields of the wrong shape (an object where a name belongs) are left out,
    # rather than stored as their Python repr.
    if value is None or value == "" or isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value)[:limit]


class BrandMatchPipeline(_Stage):
    """Keep mentions that match a brand's keyword rules; drop (and count) the rest."""

    def process_item(self, m: NormalMention, spider: Spider | None = None) -> NormalMention:
        brand = match_brand(self.ctx.config.brands, m.text)
        if brand is None:
            raise self.drop("no_brand")
        m.brand = brand.id
        return m


def score_mention(ctx: IngestContext, m: NormalMention) -> None:
    """Sentiment, negative flag, category, KOL flag and priority, onto ``m.score``.

    Re-crawled posts are scored again: their new figures (followers, reach) move the KOL
    flag and priority, and a figure the re-crawl left out is taken from the stored copy
    (``m.stored``). The scorer itself does no I/O.
    """
    brand = ctx.config.brand(m.brand)  # type: ignore[arg-type]
    st = m.stored

    def known(value: Any, field: str, default: Any) -> Any:
        if value is not None:
            return value
        return getattr(st, field) if st is not None else default

    m.score = ctx.scorer.score(
        m.text,
        brand=brand,
        followers=known(m.author_followers, "author_followers", None),
        verified=known(m.author_verified, "author_verified", None),
        author_id=known(m.author_id, "author_id", None),
        author_name=known(m.author_name, "author_name", None),
        reposts=known(m.reposts, "reposts", 0),
        comments=known(m.comments, "comments", 0),
        likes=known(m.likes, "likes", 0),
    )


@dataclass
class Outcome:
    """What became of one mention of a batch: stored ("new", "updated", "unchanged") or
    dropped for ``reason``."""

    kind: str
    reason: str = ""
    detail: str = ""


class BatchStorePipeline(_Stage):
    """Dedupe → score → store, a batch at a time, each batch in one transaction.

    Mentions are collected until ``REPMON_BATCH_ITEMS`` (500) are waiting or the first
    of them has waited ``REPMON_BATCH_SECONDS`` (1 s), and when the spider closes. A
    batch is one lookup of the stored copies, the scoring (a re-crawl falls back to
    its stored figures), and bulk writes (:class:`monitor.store_batch.MentionBatch`).
    Outcomes are counted only once the batch is committed, so a crash loses the figures
    with the mentions and the next run reads them again. When a bulk statement fails,
    the batch is stored one mention at a time, so only the bad one is dropped.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.max_items = crawler.settings.getint("REPMON_BATCH_ITEMS", 500)
        self.max_wait = crawler.settings.getfloat("REPMON_BATCH_SECONDS", 1.0)
        self.pending: list[NormalMention] = []
        self.first_at = 0.0
        self.timer: Any = None
        self.after_flush: list[Callable[[], None]] = []  # see after_commit
        _STAGES[crawler] = self

    def process_item(self, m: NormalMention, spider: Spider | None = None) -> NormalMention:
        if not self.pending:
            self.first_at = time.monotonic()
            self._arm_timer()
        self.pending.append(m)
        if len(self.pending) >= self.max_items or time.monotonic() - self.first_at >= self.max_wait:
            self.flush()
        return m

    def close_spider(self, spider: Spider | None = None) -> None:
        self.flush()

    def _arm_timer(self) -> None:
        # A quiet source (the last page, a worker between rounds) must not hold its
        # mentions back longer than the batch window.
        from twisted.internet import reactor

        if self.timer is None and reactor.running:
            self.timer = reactor.callLater(self.max_wait, self._timer_fired)

    def _timer_fired(self) -> None:
        self.timer = None
        self.flush()

    def flush(self) -> None:
        """Store what is waiting and count each mention's outcome."""
        if self.timer is not None:
            if self.timer.active():
                self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending, []
        callbacks, self.after_flush = self.after_flush, []
        if batch:
            self._flush(batch)
        for callback in callbacks:
            callback()

    def _flush(self, batch: list[NormalMention]) -> None:
        try:
            with session_scope(self.ctx.session_factory) as s:
                outcomes = self._store_batch(s, batch)
        except Exception as exc:  # one bad row or a lost race: store them one by one
            log.warning("storing a batch of %d mentions failed (%s: %s); storing them one by one",
                        len(batch), exc.__class__.__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
            self.stats.inc_value("repmon/batch_fallbacks")
            outcomes = [self._store_one(m) for m in batch]
        for m, outcome in zip(batch, outcomes):
            if outcome.reason:
                self.drop(outcome.reason, outcome.detail)
                continue
            self.stats.inc_value(f"repmon/{outcome.kind}")
            if outcome.kind == "new" and m.score and m.score.negative:
                self.stats.inc_value(f"repmon/negative/{m.brand}")

    def _store_batch(self, s: Session, batch: list[NormalMention]) -> list[Outcome]:
        stored = MentionBatch(s, ((m.source_id, m.external_id) for m in batch))
        outcomes: list[Outcome | None] = []
        kept = []
        for m in batch:
            m.stored = stored.current(m)
            m.existing_id = m.stored.existing_id if m.stored else None
            failed = self._score(m)
            outcomes.append(failed)
            if failed is None:
                stored.add(m)
                kept.append(len(outcomes) - 1)
        for i, (kind, _) in zip(kept, stored.write()):
            outcomes[i] = Outcome(kind)
        return outcomes  # type: ignore[return-value]

    def _store_one(self, m: NormalMention) -> Outcome:
        try:
            with session_scope(self.ctx.session_factory) as s:
                found = find_mention(s, m.source_id, m.external_id)
                m.stored, m.existing_id = found, found.existing_id if found else None
                failed = self._score(m)
                if failed is not None:
                    return failed
                outcome, m.existing_id = save_mention(s, m)
        except Exception as exc:  # a database fault must not kill the crawl; it is counted
            log.error("storing %s/%s failed: %s", m.source_id, m.external_id, exc.__class__.__name__)
            return Outcome("dropped", "store_failed", exc.__class__.__name__)
        return Outcome(outcome)

    def _score(self, m: NormalMention) -> Outcome | None:
        try:
            score_mention(self.ctx, m)
        except Exception as exc:  # e.g. a sentiment model file that cannot be read: counted, the crawl goes on
            log.error("scoring %s/%s failed: %s: %s", m.source_id, m.external_id, exc.__class__.__name__, exc)
            return Outcome("dropped", "score_failed", exc.__class__.__name__)
        return None


_STAGES: "WeakKeyDictionary[Crawler, BatchStorePipeline]" = WeakKeyDictionary()


def after_commit(crawler: Crawler, callback: Callable[[], None]) -> None:
    """Call ``callback`` once every mention handed to ``crawler``'s store stage so far is
    stored (committed, or dropped and counted): at once when none is waiting.

    A distributed round counts a page as done only then (crawlers.distributed), so a
    worker killed with a batch uncommitted leaves its round open and the next round
    reads those pages again.
    """
    stage = _STAGES.get(crawler)
    if stage is None or not stage.pending:
        callback()
    else:
        stage.after_flush.append(callback)


PIPELINES = {
    "crawlers.pipelines.NormalisePipeline": 100,
    "crawlers.pipelines.BrandMatchPipeline": 200,
    "crawlers.pipelines.BatchStorePipeline": 300,
}
