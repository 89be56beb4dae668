"""Distributed crawling on scrapy-redis: one scheduler seeds rounds, workers crawl.

- The scheduler (``repmon run`` with ``distributed.redis_url``) pushes a *round seed* for
  a due source to ``<prefix>:<source>:start``. It never crawls those sources itself.
- Each worker (``repmon worker``) runs every distributable source's spider as a
  scrapy-redis spider: it pops seeds, turns them into the spider's own first requests,
  and all requests go through scrapy-redis's shared scheduler queue
  (``<prefix>:<source>:requests``, kept when a worker stops) and duplicate filter, so any
  worker may fetch any page and none fetches one twice. Mentions go through the normal
  pipelines into the shared database.
- Each round counts its open requests in ``<prefix>:<source>:inflight`` (+1 when a request
  is scheduled, −1 when its callback or errback has finished and the mentions it yielded
  are committed). A retry or a redirect is a
  copy of a counted request that takes over its count (the original never reaches a
  callback); a download failure, whose errback bypasses the spider middlewares, is
  counted off in the errback. At 0 the round is done. A
  round still open after ``distributed.round_timeout`` lost requests with a dead worker:
  the scheduler resets it and seeds the next round at full depth, so paging does not
  stop at the already-known first page and nothing a dead worker held is lost.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy_redis.spiders import RedisMixin

from crawlers.pipelines import after_commit
from monitor.config import Config

log = logging.getLogger(__name__)

# Kinds whose requests are plain HTTP and can run on any worker. MediaCrawler reads a
# local folder, so it stays with the scheduler's machine.
DISTRIBUTABLE = {"weibo", "rss", "html", "mastodon", "jsonl"}


def keys(config: Config, source_id: str) -> dict[str, str]:
    p = f"{config.distributed.key_prefix}:{source_id}"
    return {"start": f"{p}:start", "requests": f"{p}:requests", "dupefilter": f"{p}:dupefilter",
            "inflight": f"{p}:inflight", "round": f"{p}:round"}


def redis_client(config: Config):
    import redis

    return redis.Redis.from_url(config.distributed.redis_url, decode_responses=True, socket_timeout=10)


def distributable(source: Any) -> bool:
    return getattr(source, "kind", "") in DISTRIBUTABLE and not (source.kind == "jsonl" and source.path)


def seed_round(r: Any, config: Config, source_id: str, now: datetime) -> dict[str, Any] | None:
    """Start the next round of a source unless one is still running; returns the round seeded.

    A round running longer than ``round_timeout`` is taken as lost (a worker died with
    its requests) and replaced by a full-depth round.
    """
    k = keys(config, source_id)
    current = r.hgetall(k["round"])
    inflight = int(r.get(k["inflight"]) or 0)
    full = False
    if current and inflight > 0:
        started = datetime.fromisoformat(current["started"])
        if (now - started).total_seconds() < config.distributed.round_timeout.total_seconds():
            return None  # still running: do not pile rounds up
        log.warning("source %s: round %s did not finish (%d requests lost); next round at full depth",
                    source_id, current.get("id"), inflight)
        full = True
    elif current and current.get("full") == "1" and inflight > 0:
        full = True
    round_id = str(int(current.get("id", "0")) + 1) if current else "1"
    pipe = r.pipeline()
    pipe.set(k["inflight"], 0)
    pipe.delete(k["dupefilter"])  # a new round may fetch the same pages again (growth)
    pipe.hset(k["round"], mapping={"id": round_id, "started": now.isoformat(), "full": "1" if full else "0"})
    pipe.lpush(k["start"], json.dumps({"round": round_id, "full": full}))
    pipe.execute()
    return {"id": round_id, "full": full}


def round_done(r: Any, config: Config, source_id: str) -> bool:
    k = keys(config, source_id)
    return bool(r.hgetall(k["round"])) and int(r.get(k["inflight"]) or 0) <= 0 and r.llen(k["start"]) == 0


def worker_settings(config: Config, source_id: str) -> dict[str, Any]:
    """Scrapy settings that put a source's requests on the shared Redis queue."""
    k = keys(config, source_id)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_PERSIST": True,  # a stopping or dying worker leaves the queue to the others
        "SCHEDULER_QUEUE_KEY": k["requests"],
        "SCHEDULER_DUPEFILTER_KEY": k["dupefilter"],
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": config.distributed.redis_url,
        "REDIS_START_URLS_KEY": k["start"],
        "REDIS_START_URLS_BATCH_SIZE": 1,
        # Before HttpErrorMiddleware (50), so an HTTP error response is marked before it
        # turns into the errback.
        "SPIDER_MIDDLEWARES": {"crawlers.distributed.RoundTracker": 45},
    }


COUNTED = "_repmon_round_counted"  # in request.meta: this request holds one count


def _settle(server: Any, key: str, request: Any) -> None:
    """Count off a request that still carries its mark (dropped, or failed to download)."""
    if request is not None and request.meta.pop(COUNTED, None):
        server.decr(key)


def inflight_key(settings: Any) -> str:
    return settings["SCHEDULER_QUEUE_KEY"].rsplit(":", 1)[0] + ":inflight"


class RoundTracker:
    """Counts a round's open requests in Redis (see module docstring)."""

    def __init__(self, crawler: Any):
        from scrapy_redis.connection import from_settings

        self.crawler = crawler
        self.server = from_settings(crawler.settings)
        self.key = inflight_key(crawler.settings)
        # Requests whose response is being processed: the mark moved here from the meta.
        # Keyed by id() with the request held, so an id cannot be reused meanwhile.
        self._open: dict[int, Any] = {}
        crawler.signals.connect(self.scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RoundTracker":
        return cls(crawler)

    def scheduled(self, request: Any, spider: Any) -> None:
        # The signal fires before scrapy-redis serialises the request, so the mark travels
        # with it to whichever worker pops it. A retry or redirect copies the meta of a
        # request already counted: it inherits that count instead of adding one.
        if not request.meta.get(COUNTED):
            request.meta[COUNTED] = True
            self.server.incr(self.key)

    def dropped(self, request: Any, spider: Any) -> None:
        _settle(self.server, self.key, request)

    def process_spider_input(self, response: Any, spider: Any = None) -> None:
        # Take the mark out of the meta before the callback runs: a callback that builds
        # its next request from ``response.meta`` must not hand the mark on.
        request = response.request
        if request is not None and request.meta.pop(COUNTED, None):
            self._open[id(request)] = request

    def _finished(self, request: Any) -> None:
        if request is not None and self._open.pop(id(request), None) is not None:
            # The page's mentions may still wait in the store stage's batch: the page is
            # done when they are committed.
            after_commit(self.crawler, lambda: self.server.decr(self.key))
        else:
            _settle(self.server, self.key, request)

    async def process_spider_output_async(self, response: Any, result: Any, spider: Any = None):
        try:
            async for item in result:
                yield item
        finally:
            self._finished(response.request)

    def process_spider_output(self, response: Any, result: Any, spider: Any = None):
        try:
            yield from result
        finally:
            self._finished(response.request)

    def process_spider_exception(self, response: Any, exception: Any, spider: Any = None) -> None:
        return None


def redis_spider_class(cls: type) -> type:
    """The spider class of a source kind, reading its round seeds from Redis."""

    class Distributed(RedisMixin, cls):  # type: ignore[misc, valid-type]
        @classmethod
        def from_crawler(klass, crawler: Any, *args: Any, **kwargs: Any):
            spider = super().from_crawler(crawler, *args, **kwargs)
            spider.setup_redis(crawler)
            spider.max_idle_time = 0  # a worker waits for seeds forever
            return spider

        async def start(self):
            for request in self.next_requests():
                yield request

        def make_request_from_data(self, data: bytes) -> list:
            seed = json.loads(data.decode() if isinstance(data, bytes) else data)
            self._full_depth = bool(seed.get("full"))
            self.logger.info("source %s: round %s%s", self.source_id, seed.get("round"), " (full depth)" if self._full_depth else "")
            return list(self.seed_requests())

        def http_error(self, failure: Any) -> None:
            super().http_error(failure)
            # A download failure's errback runs outside the spider middlewares; it yields
            # nothing more, so the request is finished here.
            _settle(self.server, inflight_key(self.settings), failure.request)

    Distributed.__name__ = f"Distributed{cls.__name__}"
    Distributed.__qualname__ = Distributed.__name__
    return Distributed
