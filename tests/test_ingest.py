"""The jsonl spider through the real Scrapy crawler and the ingest pipelines."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawlers.runner import crawl
from monitor.db import session_scope
from monitor.migrate import open_database
from monitor.models import EngagementSnapshot, Mention, SourceRun

FIXTURE = Path(__file__).parent / "fixtures" / "ingest" / "mixed.jsonl"
NOW = datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)  # 13:00 in Shanghai


def jsonl_source(path: Path | str, extra: str = "") -> str:
    return f"""
sources:
  - id: import
    kind: jsonl
    path: {path}
{extra}
"""


@pytest.fixture
def crawled(config_factory, db_url):
    cfg = config_factory(db_url, jsonl_source(FIXTURE))
    engine, factory = open_database(cfg)
    [result] = crawl(cfg, cfg.sources, now=NOW)
    yield cfg, factory, result
    engine.dispose()


def test_matching_mentions_are_stored_and_the_rest_dropped_with_counted_reasons(crawled):
    _, factory, result = crawled
    assert result.ok, result.error
    assert (result.new, result.updated) == (3, 1)
    assert result.dropped_reasons == {
        "bad_json": 2, "no_brand": 2, "bad_time": 1, "bad_count": 1, "no_id": 1, "empty_text": 1,
    }
    assert result.dropped == 8
    # Every line read ends as exactly one outcome, unreadable lines included.
    assert result.items == 12 == result.new + result.updated + result.unchanged + result.dropped
    with session_scope(factory) as s:
        ids = sorted(s.scalars(select(Mention.external_id)))
    assert ids == ["m1", "m2", "m9"]


def test_stored_mentions_are_normalised(crawled):
    _, factory, _ = crawled
    with session_scope(factory) as s:
        m1 = s.scalars(select(Mention).where(Mention.external_id == "m1")).one()
        assert m1.text == "在手镯之家买的手镯&证书都很好，推荐！"
        assert (m1.reposts, m1.comments, m1.likes, m1.author_followers) == (1234, 12, 3000, 12000)
        assert m1.published_at == datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc)
        assert m1.author_verified is False and m1.brand == "shouzhuo"
        m9 = s.scalars(select(Mention).where(Mention.external_id == "m9")).one()
        assert m9.author_name == "jane" and m9.language == "en"


def test_a_post_seen_twice_in_one_crawl_is_stored_once_with_its_growth(crawled):
    _, factory, _ = crawled
    with session_scope(factory) as s:
        m2 = s.scalars(select(Mention).where(Mention.external_id == "m2")).one()
        # "5分钟前" is read against the time that line was fetched (12:00 Shanghai).
        assert m2.reposts == 60 and m2.published_at == datetime(2026, 3, 10, 3, 55, tzinfo=timezone.utc)
        assert m2.negative and m2.sentiment < 0.4
        snaps = s.scalars(select(EngagementSnapshot.reposts).where(EngagementSnapshot.mention_id == m2.id)).all()
        assert sorted(snaps) == [8, 60]


def test_crawling_again_updates_instead_of_duplicating(crawled):
    cfg, factory, _ = crawled
    [again] = crawl(cfg, cfg.sources, now=NOW + timedelta(minutes=10))
    assert again.ok and again.new == 0
    with session_scope(factory) as s:
        assert s.scalar(select(func.count()).select_from(Mention)) == 3


def test_each_run_leaves_a_health_record(crawled):
    _, factory, _ = crawled
    with session_scope(factory) as s:
        run = s.scalars(select(SourceRun)).one()
        assert run.ok and run.source_id == "import"
        assert (run.items, run.new, run.updated, run.dropped) == (12, 3, 1, 8)
        assert run.started_at == NOW and run.finished_at == NOW


def test_a_missing_file_is_a_source_error_that_does_not_stop_other_sources(config_factory, db_url, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "g1", "text": "手镯之家不错", "published_at": "刚刚"}, ensure_ascii=False) + "\n")
    extra = f"""
sources:
  - {{id: broken, kind: jsonl, path: {tmp_path / 'missing.jsonl'}}}
  - {{id: fine, kind: jsonl, path: {good}}}
"""
    cfg = config_factory(db_url, extra)
    engine, factory = open_database(cfg)
    results = {r.source_id: r for r in crawl(cfg, cfg.sources, now=NOW)}
    assert not results["broken"].ok and "missing.jsonl" in results["broken"].error
    assert results["fine"].ok and results["fine"].new == 1
    with session_scope(factory) as s:
        runs = {r.source_id: r for r in s.scalars(select(SourceRun))}
        assert not runs["broken"].ok and "cannot read" in runs["broken"].error_message
    engine.dispose()


def test_a_file_whose_lines_lost_their_text_field_is_reported_as_a_format_change(config_factory, db_url, tmp_path):
    changed = tmp_path / "changed.jsonl"
    changed.write_text('{"id": "1", "message": "手镯之家"}\n{"id": "2", "message": "手镯之家"}\n')
    cfg = config_factory(db_url, jsonl_source(changed))
    engine, _ = open_database(cfg)
    [result] = crawl(cfg, cfg.sources, now=NOW)
    assert not result.ok and "format changed" in result.error
    engine.dispose()


def test_replay_moves_the_newest_time_in_the_file_to_now(config_factory, db_url, tmp_path):
    f = tmp_path / "old.jsonl"
    rows = [
        {"id": "a", "text": "手镯之家 a", "published_at": "2020-01-01T10:00:00+00:00"},
        {"id": "b", "text": "手镯之家 b", "published_at": "2020-01-01T12:00:00+00:00"},
    ]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    cfg = config_factory(db_url, jsonl_source(f, "    replay: true"))
    engine, factory = open_database(cfg)
    crawl(cfg, cfg.sources, now=NOW)
    with session_scope(factory) as s:
        times = dict(s.execute(select(Mention.external_id, Mention.published_at)).all())
    assert times == {"a": NOW - timedelta(hours=2), "b": NOW}
    engine.dispose()


def test_a_recrawl_with_fields_left_out_keeps_the_stored_counts_kol_flag_and_priority(config_factory, db_url, tmp_path):
    f = tmp_path / "posts.jsonl"
    full = {"id": "k1", "text": "手镯之家的手镯断裂了，质量太差", "published_at": "2026-03-10T12:00:00+08:00",
            "reposts": 100, "comments": 40, "likes": 900, "author": {"id": "u9", "name": "大V", "followers": 250000}}
    f.write_text(json.dumps(full, ensure_ascii=False) + "\n")
    cfg = config_factory(db_url, jsonl_source(f))
    engine, factory = open_database(cfg)
    crawl(cfg, cfg.sources, now=NOW)
    with session_scope(factory) as s:
        first = s.scalars(select(Mention)).one()
        assert first.kol
        first_priority = first.priority
    partial = {"id": "k1", "text": full["text"], "published_at": full["published_at"], "reposts": 15000}
    f.write_text(json.dumps(partial, ensure_ascii=False) + "\n")
    [result] = crawl(cfg, cfg.sources, now=NOW + timedelta(hours=1))
    assert result.updated == 1
    with session_scope(factory) as s:
        row = s.scalars(select(Mention)).one()
        assert (row.reposts, row.comments, row.likes, row.author_followers) == (15000, 40, 900, 250000)
        assert row.kol and row.priority >= first_priority
        snaps = s.execute(select(EngagementSnapshot.reposts, EngagementSnapshot.comments, EngagementSnapshot.likes)
                          .order_by(EngagementSnapshot.taken_at)).all()
        assert [tuple(x) for x in snaps] == [(100, 40, 900), (15000, 40, 900)]
    engine.dispose()


def test_a_future_fetched_at_is_clamped_to_the_crawl_time_so_later_crawls_still_update(config_factory, db_url, tmp_path):
    f = tmp_path / "future.jsonl"
    post = {"id": "f1", "text": "手镯之家的手镯不错", "published_at": "2099-01-01T00:00:00+00:00",
            "fetched_at": "2099-01-01T00:00:00+00:00", "reposts": 5}
    f.write_text(json.dumps(post, ensure_ascii=False) + "\n")
    cfg = config_factory(db_url, jsonl_source(f))
    engine, factory = open_database(cfg)
    crawl(cfg, cfg.sources, now=NOW)
    with session_scope(factory) as s:
        row = s.scalars(select(Mention)).one()
        assert row.fetched_at == NOW and row.published_at == NOW
    f.write_text(json.dumps({"id": "f1", "text": post["text"], "published_at": "刚刚", "reposts": 50}, ensure_ascii=False) + "\n")
    [again] = crawl(cfg, cfg.sources, now=NOW + timedelta(hours=1))
    assert again.updated == 1
    with session_scope(factory) as s:
        row = s.scalars(select(Mention)).one()
        assert row.reposts == 50 and row.fetched_at == NOW + timedelta(hours=1) and row.published_at == NOW
    engine.dispose()


def test_a_published_time_a_little_ahead_is_kept_and_one_far_ahead_is_clamped(config_factory, db_url, tmp_path):
    f = tmp_path / "ahead.jsonl"
    rows = [{"id": "near", "text": "手镯之家 near", "published_at": (NOW + timedelta(minutes=3)).isoformat()},
            {"id": "far", "text": "手镯之家 far", "published_at": (NOW + timedelta(hours=5)).isoformat()}]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    cfg = config_factory(db_url, jsonl_source(f))
    engine, factory = open_database(cfg)
    crawl(cfg, cfg.sources, now=NOW)
    with session_scope(factory) as s:
        times = dict(s.execute(select(Mention.external_id, Mention.published_at)).all())
    assert times == {"near": NOW + timedelta(minutes=3), "far": NOW}
    engine.dispose()


def test_ids_and_texts_that_are_objects_or_lists_are_dropped_not_stored_as_their_repr(config_factory, db_url, tmp_path):
    f = tmp_path / "shapes.jsonl"
    rows = [
        {"id": {"mid": 1}, "text": "手镯之家 dict id"},
        {"id": ["a"], "text": "手镯之家 list id"},
        {"id": "t1", "text": {"html": "手镯之家"}},
        {"id": "t2", "text": ["手镯之家"]},
        {"id": 42, "text": "手镯之家 numeric id", "author": {"id": {"x": 1}, "name": ["n"]}},
    ]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    cfg = config_factory(db_url, jsonl_source(f))
    engine, factory = open_database(cfg)
    [result] = crawl(cfg, cfg.sources, now=NOW)
    assert result.dropped_reasons == {"bad_id": 2, "bad_text": 2} and result.new == 1
    with session_scope(factory) as s:
        m = s.scalars(select(Mention)).one()
        assert (m.external_id, m.author_id, m.author_name) == ("42", None, None)
    engine.dispose()


def test_a_sentiment_model_that_cannot_be_read_drops_each_mention_counted_and_fails_the_run(config_factory, db_url, tmp_path):
    import gzip

    # Starts like a model, so the config is valid; cut short, so it cannot be read.
    with gzip.open(tmp_path / "broken.json.gz", "wt") as f:
        f.write('{"format":"repmon-linear-sentiment/1","language":"zh","classes":["negative",')
    cfg = config_factory(db_url, jsonl_source(FIXTURE, "scoring: {model: broken.json.gz}"))
    engine, factory = open_database(cfg)
    [result] = crawl(cfg, cfg.sources, now=NOW)
    # Every line read is still accounted for; the four that matched a brand could not be scored.
    assert result.items == 12 == result.new + result.updated + result.unchanged + result.dropped
    assert result.new == 0 and result.dropped_reasons["score_failed"] == 4
    assert not result.ok and "could not be scored or stored" in result.error
    with session_scope(factory) as s:
        [run] = s.scalars(select(SourceRun)).all()
        assert not run.ok and s.scalar(select(func.count()).select_from(Mention)) == 0
    engine.dispose()
