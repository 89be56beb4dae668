"""The batch store stage: dedupe, score and store a batch of mentions in one transaction.

The stage is driven directly (a Scrapy crawler without a crawl), on SQLite and on the
PostgreSQL server, with one sentiment scorer shared by the module.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import delete, event, select, text
from sqlalchemy.exc import OperationalError

from crawlers.context import SETTINGS_KEY, IngestContext
from crawlers.pipelines import BatchStorePipeline, after_commit, score_mention
from monitor.clock import FixedClock
from monitor.db import session_scope
from monitor.mention import NormalMention
from monitor.models import EngagementSnapshot, Mention
from monitor.scoring import Scorer
from monitor.store import save_mention
from monitor.store_batch import MentionBatch, StaleBatch
from tests.support.factories import make_config, migrated

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
OUTCOMES = ("new", "updated", "unchanged", "dropped")


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    return Scorer(make_config(tmp_path_factory.mktemp("cfg"), "sqlite://"))


@pytest.fixture
def stage(db_url, tmp_path, scorer):
    """A fresh batch stage on a migrated database: (stage, session factory)."""
    with migrated(db_url) as factory:
        yield lambda **settings: _stage(db_url, tmp_path, scorer, factory, **settings), factory


def _stage(db_url, tmp_path, scorer, factory, **settings) -> BatchStorePipeline:
    ctx = IngestContext(make_config(tmp_path, db_url), factory, FixedClock(T0 + timedelta(hours=3)))
    ctx.scorer = scorer  # loading the models once per module keeps the tests fast
    crawler = get_crawler(settings_dict={SETTINGS_KEY: ctx, "LOG_ENABLED": False, **settings})
    crawler.stats.open_spider()
    return BatchStorePipeline.from_crawler(crawler)


def post(ext="p1", reposts=1, at=T0, text="手镯之家的手镯断裂了，质量太差") -> NormalMention:
    return NormalMention(source_id="weibo", external_id=ext, text=text, published_at=T0 - timedelta(hours=1),
                         fetched_at=at, reposts=reposts, comments=2, likes=3, author_name="小雨", brand="shouzhuo")


def figures(p: BatchStorePipeline) -> dict[str, int]:
    return {k: p.stats.get_value(f"repmon/{k}", 0) for k in OUTCOMES}


def run(p: BatchStorePipeline, mentions: list[NormalMention]) -> dict[str, int]:
    for m in mentions:
        p.process_item(m)
    p.close_spider()
    return figures(p)


def stored(factory) -> dict[str, int]:
    with session_scope(factory) as s:
        return dict(s.execute(select(Mention.external_id, Mention.reposts)).all())


def test_a_batch_with_one_unstorable_mention_stores_its_batch_mates_and_counts_the_one_dropped(stage):
    make, factory = stage
    p = make()
    bad = post("huge", reposts=10**30)  # no database column holds this count
    assert run(p, [post("a"), post("b"), bad, post("c"), post("a", reposts=7, at=T0 + timedelta(minutes=1))]) == {
        "new": 3, "updated": 1, "unchanged": 0, "dropped": 1}
    assert p.stats.get_value("repmon/dropped/store_failed") == 1 and p.stats.get_value("repmon/batch_fallbacks") == 1
    assert stored(factory) == {"a": 7, "b": 1, "c": 1}


def test_the_same_post_twice_in_one_batch_is_stored_once_with_the_later_counts_and_a_snapshot_per_move(stage):
    make, factory = stage
    p = make()
    seen = [post(reposts=5), post(reposts=9, at=T0 + timedelta(minutes=2)),
            post(reposts=3, at=T0 + timedelta(minutes=1)),  # seen before the stored counts: ignored
            post(reposts=9, at=T0 + timedelta(minutes=3))]  # nothing moved
    assert run(p, seen) == {"new": 1, "updated": 1, "unchanged": 2, "dropped": 0}
    with session_scope(factory) as s:
        row = s.scalars(select(Mention)).one()
        assert (row.reposts, row.fetched_at) == (9, T0 + timedelta(minutes=3))
        snaps = s.execute(select(EngagementSnapshot.reposts, EngagementSnapshot.taken_at)
                          .order_by(EngagementSnapshot.taken_at)).all()
        assert [tuple(x) for x in snaps] == [(5, T0), (9, T0 + timedelta(minutes=2))]
    assert all(m.existing_id == row.id for m in seen)


def test_a_batch_of_recrawls_updates_the_stored_posts_and_its_figures_add_up(stage):
    make, factory = stage
    run(make(), [post(f"p{i}", reposts=i) for i in range(6)])
    p = make()
    later = T0 + timedelta(hours=1)
    again = [post(f"p{i}", reposts=i + (i % 2), at=later) for i in range(6)]  # the odd ones moved
    fresh = [post(f"n{i}") for i in range(3)]
    outcomes = run(p, again + fresh + [post("bad", reposts=10**30)])
    assert outcomes == {"new": 3, "updated": 3, "unchanged": 3, "dropped": 1}
    assert sum(outcomes.values()) == len(again + fresh) + 1
    assert stored(factory) == {**{f"p{i}": i + (i % 2) for i in range(6)}, **{f"n{i}": 1 for i in range(3)}}


def test_mentions_wait_for_a_full_batch_and_the_rest_are_stored_when_the_spider_closes(stage):
    make, factory = stage
    p = make(REPMON_BATCH_ITEMS=3, REPMON_BATCH_SECONDS=60)
    for i in range(5):
        p.process_item(post(f"p{i}"))
    # Three are committed and counted; two wait, uncounted, and a crash would lose just them.
    assert set(stored(factory)) == {"p0", "p1", "p2"} and figures(p)["new"] == 3
    p.close_spider()
    assert len(stored(factory)) == 5 and figures(p)["new"] == 5


def test_a_batch_takes_the_same_few_statements_whatever_its_size(stage):
    """Per-item round trips (a SELECT or a commit per mention) cannot come back unnoticed."""
    make, factory = stage
    engine = factory.kw["bind"]
    run(make(), [post(f"old{i}") for i in range(300)])

    def statements(n: int) -> int:
        p = make(REPMON_BATCH_ITEMS=10_000)
        half = n // 2
        batch = [post(f"old{i}", reposts=n, at=T0 + timedelta(hours=1)) for i in range(half)]
        batch += [post(f"new{n}-{i}") for i in range(n - half)]
        for m in batch:
            p.process_item(m)
        count = [0]

        def counted(*_args):
            count[0] += 1

        event.listen(engine, "before_cursor_execute", counted)
        try:
            p.close_spider()
        finally:
            event.remove(engine, "before_cursor_execute", counted)
        assert figures(p)["new"] == n - half and figures(p)["updated"] == half
        return count[0]

    small, large = statements(10), statements(400)
    # lookup, insert, update, snapshots (and a connection's set-up statements at most)
    assert small == large <= 6, (small, large)


def test_a_recrawled_post_deleted_by_retention_before_its_update_is_stored_anew(stage):
    make, factory = stage
    p = make()
    with session_scope(factory) as s:
        first = post(reposts=1)
        first.score = _score(p, first)
        _, mid = save_mention(s, first)
    with session_scope(factory) as s:
        s.execute(delete(Mention).where(Mention.id == mid))
    late = post(reposts=5, at=T0 + timedelta(hours=1))
    late.score, late.existing_id = first.score, mid  # looked up before retention deleted it
    with session_scope(factory) as s:
        outcome, new_id = save_mention(s, late)
    assert outcome == "new" and stored(factory) == {"p1": 5}


def test_retention_deleting_a_row_of_a_batch_waits_for_it_on_postgresql_and_fails_it_whole_on_sqlite(stage, db_url):
    make, factory = stage
    run(make(), [post("gone"), post("kept")])

    def recrawl(batch: MentionBatch) -> None:
        for ext in ("gone", "kept"):
            m = post(ext, reposts=9, at=T0 + timedelta(hours=1))
            m.score = _score(make(), m)
            batch.add(m)
        batch.write()

    if not db_url.startswith("sqlite"):
        # The lookup locks the batch's rows: retention in another connection waits for the
        # batch (here it gives up after 200 ms), so the update never misses its row.
        with session_scope(factory) as s:
            batch = MentionBatch(s, [("weibo", "gone"), ("weibo", "kept")])
            with pytest.raises(OperationalError, match="lock"):
                with session_scope(factory) as other:
                    other.execute(text("SET LOCAL lock_timeout = '200ms'"))
                    other.execute(delete(Mention).where(Mention.external_id == "gone"))
            recrawl(batch)
        assert stored(factory) == {"gone": 9, "kept": 9}
        return
    with pytest.raises(StaleBatch):
        with session_scope(factory) as s:
            batch = MentionBatch(s, [("weibo", "gone"), ("weibo", "kept")])
            with session_scope(factory) as other:  # retention, in another connection
                other.execute(delete(Mention).where(Mention.external_id == "gone"))
            recrawl(batch)
    # Nothing of the batch was written: the stage's one-by-one fallback starts clean.
    assert stored(factory) == {"kept": 1}


def _score(p: BatchStorePipeline, m: NormalMention):
    score_mention(p.ctx, m)
    return m.score


def test_a_page_counts_as_done_only_once_its_waiting_mentions_are_committed(stage):
    """What a distributed round waits for before it counts a page off (crawlers.distributed)."""
    make, factory = stage
    p = make(REPMON_BATCH_ITEMS=10, REPMON_BATCH_SECONDS=60)
    seen: list[int] = []
    after_commit(p.crawler, lambda: seen.append(len(stored(factory))))
    assert seen == [0]  # nothing waits: at once
    p.process_item(post("a"))
    p.process_item(post("b"))
    after_commit(p.crawler, lambda: seen.append(len(stored(factory))))
    assert seen == [0]
    p.close_spider()
    assert seen == [0, 2]
