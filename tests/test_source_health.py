"""The source-health record has one owner (monitor.source_health: open, judge, close) and
spiders reach the database only through the CrawlState their ingest context hands them."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawlers.context import SETTINGS_KEY
from crawlers.spiders.base import MentionSpider
from crawlers.spiders.mediacrawler import MediaCrawlerSpider
from monitor.clock import FixedClock
from monitor.crawl_state import CrawlState
from monitor.db import session_scope
from monitor.migrate import open_database
from monitor.models import Mention, SourceRun
from monitor.source_health import (
    SHUTDOWN, close_round, close_run, judge_run, open_run, previous_run_clean, source_health,
)
from monitor.sources_config import MediaCrawlerSource, RssSource

T = datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------- the outcome rule


@pytest.mark.parametrize(
    "stats,source_errors,reason,ok,errors,error",
    [
        # A clean run, however many items: ok.
        ({"repmon/items": 5, "repmon/new": 3}, [], "finished", True, 0, None),
        ({}, [], "finished", True, 0, None),
        # No close reason to judge (None, ""): not an early end.
        ({}, [], None, True, 0, None),
        ({}, [], "", True, 0, None),
        # A source error the spider reported: failed, with its message.
        ({"repmon/source_errors": 1}, ["HTTP 429 from http://x/api (rate limited)"], "finished",
         False, 1, "HTTP 429 from http://x/api (rate limited)"),
        # Faults without a message: described from the stats.
        ({"spider_exceptions/count": 2}, [], "finished", False, 2, "2 errors while parsing"),
        ({"repmon/ingest_errors": 1}, [], "finished", False, 1,
         "1 mentions that could not be scored or stored (see the log)"),
        ({"repmon/source_errors": 1, "httperror/response_ignored_count": 1, "downloader/response_status_count/200": 3,
          "downloader/response_status_count/503": 1}, [], "finished", False, 1, "1 HTTP error responses; status 503"),
        ({"repmon/source_errors": 1}, [], "finished", False, 1, "errors during crawl"),
        # Scrapy's log_count/ERROR counts other crawlers' errors too: not a fault of this run.
        ({"log_count/ERROR": 4}, [], "finished", True, 0, None),
        # Ended early: one more error and the reason named, after the spider's own messages.
        ({}, [], "shutdown", False, 1, "crawl ended early: shutdown"),
        ({"repmon/source_errors": 1}, ["empty answer"], "closespider_timeout", False, 2,
         "empty answer; crawl ended early: closespider_timeout"),
        # A message without a counted fault still fails the run.
        ({}, ["a message"], "finished", False, 0, "a message"),
    ],
)
def test_the_outcome_of_a_run_is_judged_from_its_crawl_stats(stats, source_errors, reason, ok, errors, error):
    outcome = judge_run(stats, source_errors, reason)
    assert (outcome.ok, outcome.errors, outcome.error) == (ok, errors, error)


def test_the_outcome_carries_the_counts_of_the_stats():
    o = judge_run({"repmon/items": 9, "repmon/new": 4, "repmon/updated": 2, "repmon/unchanged": 1, "repmon/dropped": 2,
                   "repmon/dropped/no_brand": 2, "repmon/negative/b1": 3})
    assert (o.items, o.new, o.updated, o.unchanged, o.dropped) == (9, 4, 2, 1, 2)
    assert o.negatives == {"b1": 3} and o.dropped_reasons == {"no_brand": 2}


# ---------------------------------------------------------------------------- the record


@pytest.fixture
def db(config_factory, db_url):
    config = config_factory(db_url, "sources:\n  - {id: demo, kind: rss, urls: ['http://127.0.0.1:9/feed']}\n")
    engine, factory = open_database(config)
    yield config, factory
    engine.dispose()


def test_a_run_is_opened_then_closed_with_its_outcome_and_kept_stats(db):
    config, factory = db
    with session_scope(factory) as s:
        run_id = open_run(s, "demo", T)
    with session_scope(factory) as s:
        outcome = close_run(s, run_id, T + timedelta(seconds=5),
                            {"repmon/items": 2, "repmon/new": 2, "start_time": "x", "nested": {"a": 1}}, reason=SHUTDOWN)
    assert outcome is not None and not outcome.ok
    with session_scope(factory) as s:
        run = s.get(SourceRun, run_id)
        assert (run.ok, run.items, run.new, run.errors, run.error_message) == (False, 2, 2, 1, "crawl ended early: shutdown")
        assert run.stats == {"repmon/items": 2, "repmon/new": 2, "start_time": "x", "interrupted": SHUTDOWN}
        # A run the stopping service cut short is no failure of the source.
        [h] = [h for h in source_health(s, config) if h.id == "demo"]
        assert h.failing_streak == 0 and h.last_run is None
        assert previous_run_clean(s, "demo") is False


def test_a_round_that_did_not_finish_fails_its_run_and_the_next_is_opened(db):
    _, factory = db
    with session_scope(factory) as s:
        open_run(s, "demo", T, stats={"round": "1", "full": False})
    with session_scope(factory) as s:
        close_round(s, "demo", T + timedelta(minutes=5), done=False, round_id="1")
        open_run(s, "demo", T + timedelta(minutes=5), stats={"round": "2", "full": True})
    with session_scope(factory) as s:
        first, second = s.scalars(select(SourceRun).order_by(SourceRun.id)).all()
        assert (first.ok, first.errors, first.items) == (False, 1, 0)
        assert first.error_message == "round 1 did not finish in time (a worker died?); next round at full depth"
        assert first.stats == {"round": "1", "full": False}
        assert second.finished_at is None and second.stats == {"round": "2", "full": True}
    with session_scope(factory) as s:
        close_round(s, "demo", T + timedelta(minutes=10), done=True, round_id="2")
        assert previous_run_clean(s, "demo") is True
        assert previous_run_clean(s, "demo", second.id) is False  # the run before it failed


# ---------------------------------------------------------------------------- the spiders' state object


def _mention(source_id: str, external_id: str, author: str, followers: int | None, fetched: datetime) -> Mention:
    return Mention(source_id=source_id, external_id=external_id, text="t", brand="demo", author_id=author,
                   author_followers=followers, fetched_at=fetched, published_at=fetched, first_seen_at=fetched)


def test_the_crawl_state_answers_for_its_own_source_only(db):
    _, factory = db
    with session_scope(factory) as s:
        s.add_all([_mention("a", "1", "alice", 10, T - timedelta(hours=1)),
                   _mention("a", "2", "bob", 20, T - timedelta(days=2)),  # too old for the follower cache
                   _mention("a", "3", "carol", None, T),
                   _mention("b", "4", "dave", 40, T)])
    state = CrawlState(factory, "a", FixedClock(T))
    assert state.known_ids(["1", "2", "4", "9"]) == {"1", "2"}
    assert state.known_ids([]) == set()
    assert state.recent_followers({"alice", "bob", "carol", "dave"}, timedelta(hours=24)) == {"alice": 10}
    assert state.needs_full_depth() is True  # no run yet
    assert state.load() == {}
    state.save({"f.jsonl": {"offset": 10}})
    state.save({"f.jsonl": {"offset": 20}, "g.json": {"rows": 2}})
    assert state.load() == {"f.jsonl": {"offset": 20}, "g.json": {"rows": 2}}
    assert CrawlState(factory, "b", FixedClock(T)).load() == {}


class FakeState:
    """A stand-in for CrawlState: what a spider asked, and what it saved."""

    def __init__(self, known: set[str] = frozenset(), full: bool = False, stored: dict | None = None):
        self.known, self.full, self.stored = set(known), full, stored or {}
        self.saved: list[dict] = []
        self.full_depth_asked: list[Any] = []

    def known_ids(self, ids):
        return self.known & set(ids)

    def needs_full_depth(self, current_run_id=None):
        self.full_depth_asked.append(current_run_id)
        return self.full

    def load(self):
        return self.stored

    def save(self, values):
        self.saved.append(dict(values))


def _spider(cls: type, source: Any, state: FakeState, **kw: Any) -> Any:
    class Context:  # no database at all: the spider must ask its state object, nothing else
        def crawl_state(self, source_id: str) -> FakeState:
            assert source_id == source.id
            return state

    crawler = get_crawler(cls, {SETTINGS_KEY: Context(), "LOG_ENABLED": False})
    return cls.from_crawler(crawler, source=source, **kw)


def test_a_spider_pages_on_by_what_its_state_object_knows():
    source = RssSource(id="r", kind="rss", urls=["http://x/feed"])
    state = FakeState(known={"1", "2"})
    spider = _spider(MentionSpider, source, state)
    spider.run_id = 7
    assert spider.should_page_on(["1", "2"]) is False  # every post known
    assert spider.should_page_on(["1", "3"]) is True
    assert spider.should_page_on([]) is False
    assert state.full_depth_asked == [7]  # asked once per run, excluding the run itself
    full = _spider(MentionSpider, source, FakeState(known={"1"}, full=True))
    assert full.should_page_on(["1"]) is True


def test_a_mediacrawler_spider_reads_and_commits_its_offsets_through_its_state_object(tmp_path):
    folder = tmp_path / "mc"
    (folder / "xhs" / "jsonl").mkdir(parents=True)
    path = folder / "xhs" / "jsonl" / "search_contents_2026-03-10.jsonl"
    path.write_text('{"note_id": "a", "desc": "手镯之家 one"}\n{"note_id": "b", "desc": "手镯之家 two"}\n', encoding="utf-8")
    source = MediaCrawlerSource(id="mc", kind="mediacrawler", path=str(folder), platforms=["xhs"])
    first_line = len('{"note_id": "a", "desc": "手镯之家 one"}\n'.encode())
    state = FakeState(stored={str(path): {"offset": first_line, "size": first_line}})
    spider = _spider(MediaCrawlerSpider, source, state)
    assert spider.load_state() == state.stored
    items = list(spider.read_file(path, spider.load_state()[str(path)]))
    assert [i["external_id"] for i in items] == ["xhs:b"]  # the first line was read by an earlier run
    spider.save_state(spider, "shutdown")
    assert state.saved == []  # a run that did not finish commits nothing: it is read again
    spider.save_state(spider, "finished")
    assert state.saved == [{str(path): {"offset": path.stat().st_size, "size": path.stat().st_size}}]


# ---------------------------------------------------------------------------- the seam, enforced


def test_spiders_never_import_the_orm_or_open_a_session():
    forbidden = ("sqlalchemy", "monitor.db", "monitor.models", "monitor.store", "monitor.migrate")
    found = []
    for path in sorted((ROOT / "crawlers" / "spiders").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names if n.startswith(forbidden)]
            if isinstance(node, ast.Attribute) and node.attr in ("session_factory", "session_scope"):
                found.append(f"{path.name}: .{node.attr}")
    assert found == []


def test_only_monitor_source_health_writes_source_runs():
    writers = []
    for path in sorted([*(ROOT / "crawlers").rglob("*.py"), *(ROOT / "monitor").rglob("*.py")]):
        if path.name in ("source_health.py", "models.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if "SourceRun" in text.replace("SourceRunRecorder", ""):
            writers.append(str(path.relative_to(ROOT)))
    assert writers == []
