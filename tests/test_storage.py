"""The storage suite runs on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from monitor.db import make_engine, session_scope
from monitor.mention import NormalMention
from monitor.migrate import current_revision, head_revision, upgrade
from monitor.models import EngagementSnapshot, Incident, Mention, OutboxMessage, SourceRun
from monitor.scoring import Score
from monitor.store import find_mention, mentions_query, save_mention
from tests.support.factories import migrated

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def factory(db_url):
    with migrated(db_url) as factory:
        yield factory


def mention(ext="p1", reposts=0, fetched=T0, text="手镯之家的手镯断裂了", negative=True):
    return NormalMention(
        source_id="weibo", external_id=ext, text=text, published_at=T0 - timedelta(hours=1),
        fetched_at=fetched, reposts=reposts, comments=1, likes=2, brand="shouzhuo", author_name="小雨",
        score=Score("zh", 0.1 if negative else 0.9, negative, "product_quality", False, 0.5),
    )


def store(factory, m):
    with session_scope(factory) as s:
        found = find_mention(s, m.source_id, m.external_id)
        m.existing_id = found.existing_id if found else None
        return save_mention(s, m)


def test_migrations_bring_an_empty_database_to_head(db_url):
    engine = make_engine(db_url)
    before, after = upgrade(engine)
    assert before is None and after == head_revision() == current_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"mentions", "engagement_snapshots", "incidents", "incident_events", "outbox", "source_runs"} <= tables
    assert upgrade(engine) == (after, after)  # idempotent
    engine.dispose()


def test_the_migrated_schema_matches_the_models_exactly(db_url):
    """A model change without its migration (a missing index, a new column) fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from monitor.models import Base

    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as c:
        ctx = MigrationContext.configure(c, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_a_new_mention_is_stored_with_a_first_snapshot(factory):
    outcome, mid = store(factory, mention(reposts=5))
    assert outcome == "new"
    with session_scope(factory) as s:
        row = s.get(Mention, mid)
        assert (row.brand, row.negative, row.category, row.reposts) == ("shouzhuo", True, "product_quality", 5)
        assert row.published_at == T0 - timedelta(hours=1) and row.published_at.tzinfo == timezone.utc
        assert [sn.reposts for sn in row.snapshots] == [5]


def test_a_recrawled_post_updates_its_counts_and_records_growth_without_a_second_row(factory):
    store(factory, mention(reposts=5))
    outcome, _ = store(factory, mention(reposts=60, fetched=T0 + timedelta(hours=1)))
    assert outcome == "updated"
    outcome, _ = store(factory, mention(reposts=60, fetched=T0 + timedelta(hours=2)))
    assert outcome == "unchanged"
    with session_scope(factory) as s:
        rows = s.scalars(select(Mention)).all()
        assert len(rows) == 1 and rows[0].reposts == 60
        snaps = s.scalars(select(EngagementSnapshot).order_by(EngagementSnapshot.taken_at)).all()
        assert [(sn.reposts, sn.taken_at) for sn in snaps] == [(5, T0), (60, T0 + timedelta(hours=1))]


def test_counts_seen_earlier_than_the_stored_ones_do_not_overwrite_them(factory):
    store(factory, mention(reposts=60, fetched=T0 + timedelta(hours=1)))
    assert store(factory, mention(reposts=5, fetched=T0))[0] == "unchanged"
    with session_scope(factory) as s:
        assert s.scalars(select(Mention.reposts)).one() == 60


def test_an_insert_racing_another_process_turns_into_an_update(factory):
    store(factory, mention(reposts=1))
    late = mention(reposts=9, fetched=T0 + timedelta(minutes=5))
    late.existing_id = None  # this process did not see the other's insert
    with session_scope(factory) as s:
        assert save_mention(s, late)[0] == "updated"
    with session_scope(factory) as s:
        assert s.scalars(select(Mention.reposts)).all() == [9]


def test_source_and_external_id_are_unique(factory):
    store(factory, mention())
    with pytest.raises(IntegrityError):
        with session_scope(factory) as s:
            s.add(Mention(source_id="weibo", external_id="p1", text="x", published_at=T0, fetched_at=T0,
                          first_seen_at=T0, reposts=0, comments=0, likes=0, negative=False, kol=False, brand="b"))


def test_the_same_external_id_from_another_source_is_another_mention(factory):
    store(factory, mention())
    m = mention()
    m.source_id = "rss"
    assert store(factory, m)[0] == "new"


def test_only_one_open_incident_per_brand_and_cause(factory):
    def incident(status="open", cause="product_quality"):
        return Incident(brand="shouzhuo", cause=cause, status=status, tier="yellow", opened_at=T0, updated_at=T0, figures={})

    with session_scope(factory) as s:
        s.add_all([incident(status="resolved"), incident(status="resolved"), incident(), incident(cause="logistics")])
    with pytest.raises(IntegrityError):
        with session_scope(factory) as s:
            s.add(incident(status="acknowledged"))


def test_outbox_keys_are_unique_per_channel(factory):
    def msg(channel):
        return OutboxMessage(created_at=T0, channel=channel, kind="alert", idempotency_key="incident:1:opened",
                             payload={"a": 1}, next_attempt_at=T0)

    with session_scope(factory) as s:
        s.add_all([msg("slack"), msg("feishu")])
    with pytest.raises(IntegrityError):
        with session_scope(factory) as s:
            s.add(msg("slack"))


def test_mentions_query_filters_by_brand_negativity_and_time(factory):
    store(factory, mention("a"))
    store(factory, mention("b", negative=False))
    with session_scope(factory) as s:
        assert [m.external_id for m in s.scalars(mentions_query(brand="shouzhuo", negative=True))] == ["a"]
        assert s.scalars(mentions_query(since=T0)).all() == []
        assert len(s.scalars(mentions_query(until=T0)).all()) == 2


def test_source_runs_keep_their_json_stats(factory):
    with session_scope(factory) as s:
        s.add(SourceRun(source_id="demo", started_at=T0, stats={"repmon/new": 3}))
    with session_scope(factory) as s:
        assert s.scalars(select(SourceRun.stats)).one() == {"repmon/new": 3}


def test_sqlite_databases_use_write_ahead_logging(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert (tmp_path / "sub").is_dir()
    engine.dispose()


def test_a_recrawl_that_leaves_counts_out_keeps_the_stored_ones_and_snapshots_the_merged_counts(factory):
    store(factory, mention(reposts=5))  # comments 1, likes 2
    partial = mention(reposts=15_000, fetched=T0 + timedelta(hours=1))
    partial.comments = partial.likes = None  # the source did not say
    assert store(factory, partial)[0] == "updated"
    with session_scope(factory) as s:
        row = s.scalars(select(Mention)).one()
        assert (row.reposts, row.comments, row.likes) == (15_000, 1, 2)
        snaps = s.scalars(select(EngagementSnapshot).order_by(EngagementSnapshot.taken_at)).all()
        assert [(sn.reposts, sn.comments, sn.likes) for sn in snaps] == [(5, 1, 2), (15_000, 1, 2)]


def test_a_new_mention_without_counts_is_stored_with_zero_counts(factory):
    m = mention()
    m.reposts = m.comments = m.likes = None
    _, mid = store(factory, m)
    with session_scope(factory) as s:
        row = s.get(Mention, mid)
        assert (row.reposts, row.comments, row.likes) == (0, 0, 0)
        assert [(sn.reposts, sn.comments, sn.likes) for sn in row.snapshots] == [(0, 0, 0)]
