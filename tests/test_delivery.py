"""Outbox and delivery with the real Slack (slack_sdk) and Feishu clients against local fakes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from alerts.delivery import Deliverer
from alerts.outbox import enqueue
from monitor.clock import FixedClock
from monitor.db import session_scope
from monitor.models import OutboxMessage
from tests.support.alert_samples import incident_note
from tests.support.factories import add_open_incidents, migrated
from tests.support.fake_chat import fake_server

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(db_url):
    with migrated(db_url) as factory:
        add_open_incidents(factory, (7, 8), T0)  # the incidents the sample notifications belong to
        yield factory


def config_with(config_factory, db_url, channels: str, routes: str):
    return config_factory(db_url, f"channels:\n{channels}\nroutes:\n{routes}\ndelivery: {{backoff: 30s, max_backoff: 10m, max_attempts: 100}}\n")


def put(db, cfg, *notes, now=T0):
    with session_scope(db) as s:
        return len(enqueue(s, list(notes), cfg, now))


def statuses(db):
    with session_scope(db) as s:
        return [(m.channel, m.idempotency_key, m.status) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_slack_bot_messages_go_through_the_real_client_with_tier_colour(db, config_factory, db_url, monkeypatch):
    with fake_server("slack") as (url, rec):
        monkeypatch.setenv("T_SLACK_TOKEN", "xoxb-t0ken9")
        cfg = config_with(config_factory, db_url,
                          f"  pr: {{kind: slack, token: '${{T_SLACK_TOKEN}}', channel: C123, base_url: '{url}/api/'}}",
                          "  red: [pr]\n  page_all: [red]")
        put(db, cfg, incident_note())
        report = Deliverer(cfg).deliver_due(db, FixedClock(T0))
        assert report.sent == 1
        [req] = rec.requests
        assert req["path"] == "/api/chat.postMessage"
        assert req["headers"]["Authorization"] == "Bearer xoxb-t0ken9"
        body = req["body"]
        attachments = json.loads(body["attachments"]) if isinstance(body["attachments"], str) else body["attachments"]
        assert body["channel"] == "C123" and attachments[0]["color"] == "#D93025"
        blocks_text = json.dumps(attachments[0]["blocks"], ensure_ascii=False)
        assert "<!channel>" in blocks_text  # red may page everyone, as configured
        assert blocks_text.count("<!channel>") == 1  # ...but the post text's own <!channel> is inert
        assert "<@U123ABC>" not in blocks_text


def test_slack_429_waits_for_retry_after_and_a_refusal_is_permanent(db, config_factory, db_url):
    with fake_server("slack") as (url, rec):
        cfg = config_with(config_factory, db_url, f"  pr: {{kind: slack, token: xoxb-t, channel: C1, base_url: '{url}/api/'}}",
                          "  red: [pr]")
        put(db, cfg, incident_note(key="a"), incident_note(key="b", incident_id=8))
        rec.script = ["429"]
        d = Deliverer(cfg)
        r = d.deliver_due(db, FixedClock(T0))
        assert (r.sent, r.retried) == (0, 1)
        assert d.deliver_due(db, FixedClock(T0 + timedelta(seconds=6))).sent == 0  # Retry-After: 7
        assert d.deliver_due(db, FixedClock(T0 + timedelta(seconds=8))).sent == 2
        rec.script = ["refuse"]
        put(db, cfg, incident_note(key="c"), now=T0 + timedelta(seconds=9))
        r = d.deliver_due(db, FixedClock(T0 + timedelta(seconds=10)))
        assert r.failed == 1 and "channel_not_found" in r.errors[0]


def test_slack_incoming_webhook(db, config_factory, db_url):
    with fake_server("slack") as (url, rec):
        cfg = config_with(config_factory, db_url, f"  hook: {{kind: slack, webhook_url: '{url}/hook/T1/B1/x'}}", "  red: [hook]")
        put(db, cfg, incident_note())
        assert Deliverer(cfg).deliver_due(db, FixedClock(T0)).sent == 1
        assert rec.requests[0]["path"] == "/hook/T1/B1/x" and rec.requests[0]["body"]["attachments"][0]["color"] == "#D93025"


def test_feishu_cards_are_signed_and_coloured_by_tier(db, config_factory, db_url, monkeypatch):
    with fake_server("feishu", secret="s3cret") as (url, rec):
        monkeypatch.setenv("T_FEISHU_SECRET", "s3cret")
        cfg = config_with(config_factory, db_url,
                          f"  fs: {{kind: feishu, webhook_url: '{url}/open-apis/bot/v2/hook/abc', secret: '${{T_FEISHU_SECRET}}'}}",
                          "  orange: [fs]\n  page_all: [orange]")
        put(db, cfg, incident_note(tier="orange"))
        assert Deliverer(cfg).deliver_due(db, FixedClock(T0)).sent == 1
        [req] = rec.requests
        assert req["signed"] is True
        card = req["body"]["card"]
        assert card["header"]["template"] == "orange"
        content = json.dumps(card["elements"], ensure_ascii=False)
        assert content.count("<at id=all></at>") == 1 and 'user_id=\\"all\\"' not in content


def test_feishu_wrong_signature_and_code_not_zero_are_failures(db, config_factory, db_url):
    with fake_server("feishu", secret="right") as (url, rec):
        cfg = config_with(config_factory, db_url, f"  fs: {{kind: feishu, webhook_url: '{url}/hook', secret: wrong}}", "  red: [fs]")
        put(db, cfg, incident_note())
        r = Deliverer(cfg).deliver_due(db, FixedClock(T0))
        assert r.failed == 1 and "19021" in r.errors[0]
        assert "wrong" not in r.errors[0] and "/hook" not in r.errors[0]  # no secret, no webhook URL


def test_enqueueing_the_same_key_twice_is_a_no_op(db, config_factory, db_url):
    cfg = config_with(config_factory, db_url, "  c: {kind: console}\n  f: {kind: file, path: out.jsonl}", "  red: [c, f]")
    assert put(db, cfg, incident_note()) == 2
    assert put(db, cfg, incident_note()) == 0
    assert len(statuses(db)) == 2


def test_a_missed_deadline_also_reaches_the_next_tiers_route(db, config_factory, db_url):
    from dataclasses import replace

    cfg = config_with(config_factory, db_url, "  care: {kind: console}\n  pr: {kind: console}", "  yellow: [care]\n  orange: [pr]")
    note = replace(incident_note(kind="deadline_missed", tier="yellow"), also_tiers=("orange",))
    put(db, cfg, note)
    assert [c for c, _, _ in statuses(db)] == ["care", "pr"]


ROUTE_CHANNELS = "  care: {kind: console}\n  pr: {kind: console}\n  crisis: {kind: console}\n  duty: {kind: console}\n  log: {kind: console}"


def routed(db, cfg, note):
    """(channel, pings everyone) for each outbox row the note produced."""
    put(db, cfg, note)
    with session_scope(db) as s:
        return [(m.channel, m.payload["mention_all"])
                for m in s.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == note.key).order_by(OutboxMessage.id))]


@pytest.mark.parametrize("kind", ["reminder", "status_update", "resolved"])
def test_reminders_status_updates_and_resolutions_follow_their_own_route_when_set(db, config_factory, db_url, kind):
    cfg = config_with(config_factory, db_url, ROUTE_CHANNELS, f"  yellow: [care]\n  orange: [pr]\n  {kind}: [duty, log]")
    assert routed(db, cfg, incident_note(kind=kind, tier="yellow", key=f"{kind}-own")) == [("duty", False), ("log", False)]
    # The alert itself still follows the tier's route.
    assert routed(db, cfg, incident_note(kind="alert", tier="yellow", key="alert")) == [("care", False)]


@pytest.mark.parametrize("kind", ["reminder", "deadline_missed", "status_update", "resolved"])
def test_without_a_route_of_their_own_incident_messages_follow_the_tier_route(db, config_factory, db_url, kind):
    cfg = config_with(config_factory, db_url, ROUTE_CHANNELS, "  yellow: [care]\n  orange: [pr]\n  red: [crisis]")
    assert [c for c, _ in routed(db, cfg, incident_note(kind=kind, tier="orange", key=kind))] == ["pr"]


def test_a_missed_deadline_goes_to_its_own_route_and_the_next_tiers(db, config_factory, db_url):
    from dataclasses import replace

    cfg = config_with(config_factory, db_url, ROUTE_CHANNELS, "  yellow: [care]\n  orange: [pr]\n  deadline_missed: [duty]")
    note = replace(incident_note(kind="deadline_missed", tier="yellow"), also_tiers=("orange",))
    assert [c for c, _ in routed(db, cfg, note)] == ["duty", "pr"]


def test_a_missed_deadline_pings_everyone_only_where_the_tier_it_goes_to_pages_all(db, config_factory, db_url):
    from dataclasses import replace

    routes = "  yellow: [care, log]\n  orange: [pr, log]\n  red: [crisis]\n"
    missed = replace(incident_note(kind="deadline_missed", tier="yellow", key="y"), also_tiers=("orange",))
    # Orange pages everyone: orange's channels are pinged, yellow's own channel is not.
    cfg = config_with(config_factory, db_url, ROUTE_CHANNELS, routes + "  page_all: [orange]")
    assert routed(db, cfg, missed) == [("care", False), ("log", True), ("pr", True)]
    # Yellow pages everyone, orange does not: a missed yellow deadline pings nobody.
    cfg = config_with(config_factory, db_url, ROUTE_CHANNELS, routes + "  page_all: [yellow]")
    assert routed(db, cfg, replace(missed, key="y2")) == [("care", False), ("log", False), ("pr", False)]
    # Red has no tier above: its own setting decides.
    cfg = config_with(config_factory, db_url, ROUTE_CHANNELS, routes + "  page_all: [red]")
    assert routed(db, cfg, incident_note(kind="deadline_missed", tier="red", key="r")) == [("crisis", True)]
    # Reminders never ping everyone.
    assert routed(db, cfg, incident_note(kind="reminder", tier="red", key="rem")) == [("crisis", False)]


def test_an_unknown_channel_in_a_kind_route_is_named(config_factory, db_url):
    from monitor.config import ConfigError

    with pytest.raises(ConfigError) as info:
        config_with(config_factory, db_url, ROUTE_CHANNELS, "  red: [crisis]\n  deadline_missed: [duty, dutty]")
    assert any(str(p).startswith("routes.deadline_missed[1]: unknown channel 'dutty'") for p in info.value.problems)


def test_a_channel_down_for_an_hour_delivers_everything_once_and_in_order_afterwards(db, config_factory, db_url, tmp_path):
    import re

    with fake_server("slack") as (url, rec):
        cfg = config_with(config_factory, db_url,
                          f"  pr: {{kind: slack, token: xoxb-t, channel: C1, base_url: '{url}/api/'}}\n  f: {{kind: file, path: {tmp_path / 'a.jsonl'}}}",
                          "  red: [pr, f]")
        d = Deliverer(cfg)
        clock = FixedClock(T0)
        rec.down = True
        for minute in range(0, 60, 5):  # two incidents keep talking while Slack is down
            clock.set(T0 + timedelta(minutes=minute))
            for iid in (7, 8):
                number = minute // 5 + 1
                put(db, cfg, incident_note(kind="status_update", incident_id=iid, key=f"incident:{iid}:status:{number}",
                                           number=number), now=clock.now())
            d.deliver_due(db, clock)
        # The file channel was not held up by Slack.
        assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 24
        rec.down = False
        for minute in range(60, 120, 1):
            clock.set(T0 + timedelta(minutes=minute))
            d.deliver_due(db, clock)
        assert all(s == "sent" for _, _, s in statuses(db))
        # What the server accepted, in the order it accepted it: (incident, status number) from each title.
        received = [tuple(map(int, re.search(r"#(\d+)】\S+ 事件 #(\d+)", r["body"]["text"]).groups()[::-1]))
                    for r in rec.requests if r["answer"] == "ok"]
        assert len(received) == 24 and len(set(received)) == 24  # every message once
        with session_scope(db) as s:
            written = [(m.incident_id, int(m.idempotency_key.rsplit(":", 1)[1]))
                       for m in s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "pr").order_by(OutboxMessage.id))]
        for iid in (7, 8):  # per incident, the server saw them in the order they were written
            assert [n for i, n in received if i == iid] == [n for i, n in written if i == iid] == list(range(1, 13))


def test_feishu_429_and_500_are_retried_and_then_delivered(db, config_factory, db_url):
    with fake_server("feishu", secret="s3cret") as (url, rec):
        cfg = config_with(config_factory, db_url, f"  fs: {{kind: feishu, webhook_url: '{url}/hook', secret: s3cret}}", "  red: [fs]")
        put(db, cfg, incident_note(key="a"))
        rec.script = ["429", "500"]
        d = Deliverer(cfg)
        r = d.deliver_due(db, FixedClock(T0))
        assert (r.sent, r.retried) == (0, 1) and "rate limited" in r.errors[0]
        assert d.deliver_due(db, FixedClock(T0 + timedelta(seconds=6))).sent == 0  # Retry-After: 7
        r = d.deliver_due(db, FixedClock(T0 + timedelta(seconds=8)))
        assert (r.sent, r.retried) == (0, 1) and "HTTP 500" in r.errors[0]
        # No Retry-After on a 500: the backoff (30 s here, doubling) applies; the 429 was
        # not a failed attempt, so this is the first backoff.
        assert d.deliver_due(db, FixedClock(T0 + timedelta(seconds=8 + 29))).sent == 0
        assert d.deliver_due(db, FixedClock(T0 + timedelta(seconds=8 + 31))).sent == 1
        assert [q["answer"] for q in rec.requests] == ["429", "500", "ok"]
        assert rec.requests[-1]["signed"] is True
        assert statuses(db) == [("fs", "a", "sent")]


def test_an_unwritable_file_channel_does_not_hold_up_the_others(db, config_factory, db_url, tmp_path):
    blocked = tmp_path / "dir-not-file"
    blocked.mkdir()
    cfg = config_with(config_factory, db_url, f"  c: {{kind: console}}\n  f: {{kind: file, path: {blocked}}}", "  red: [f, c]")
    put(db, cfg, incident_note())
    r = Deliverer(cfg).deliver_due(db, FixedClock(T0))
    assert r.sent == 1 and r.failed == 1 and "dir-not-file" in r.errors[0]


def test_a_message_claimed_by_a_process_that_died_is_sent_again_once(db, config_factory, db_url, tmp_path):
    cfg = config_with(config_factory, db_url, f"  f: {{kind: file, path: {tmp_path / 'o.jsonl'}}}", "  red: [f]")
    put(db, cfg, incident_note())
    with session_scope(db) as s:  # a deliverer claimed it, then was killed before marking it
        m = s.scalars(select(OutboxMessage)).one()
        m.status, m.next_attempt_at, m.attempts = "sending", T0 + timedelta(minutes=5), 1
    d = Deliverer(cfg)
    assert d.deliver_due(db, FixedClock(T0 + timedelta(minutes=1))).sent == 0  # lease still running
    assert d.deliver_due(db, FixedClock(T0 + timedelta(minutes=6))).sent == 1
    assert d.deliver_due(db, FixedClock(T0 + timedelta(minutes=7))).sent == 0
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 1


def interrupted(db) -> None:
    """As if a deliverer claimed the one message, maybe sent it, and was killed before marking it."""
    with session_scope(db) as s:
        m = s.scalars(select(OutboxMessage)).one()
        m.status, m.next_attempt_at, m.attempts = "sending", T0 + timedelta(minutes=5), 1


def posts(rec) -> list[dict]:
    return [r for r in rec.requests if r["path"].endswith("chat.postMessage")]


def test_an_interrupted_slack_message_that_had_arrived_is_not_posted_again(db, config_factory, db_url):
    from alerts.base import Outbound
    from alerts.render import Renderer
    from alerts.slack import SlackChannel

    with fake_server("slack") as (url, rec):
        cfg = config_with(config_factory, db_url, f"  pr: {{kind: slack, token: xoxb-t, channel: C1, base_url: '{url}/api/'}}",
                          "  red: [pr]")
        put(db, cfg, incident_note(key="k1"))
        # The first attempt reached Slack (with its key as metadata), then the process died.
        SlackChannel("pr", token="xoxb-t", channel="C1", base_url=f"{url}/api/").send(
            Outbound("k1", "alert", "red", incident_note(key="k1").context), Renderer(cfg.resolve_path("templates"), "slack"))
        interrupted(db)
        assert Deliverer(cfg).deliver_due(db, FixedClock(T0 + timedelta(minutes=6))).sent == 1
        assert len(posts(rec)) == 1
        assert posts(rec)[0]["body"]["metadata"] == {"event_type": "repmon_notification", "event_payload": {"key": "k1"}}
        assert [r["path"].split("?")[0] for r in rec.requests] == ["/api/chat.postMessage", "/api/conversations.history"]
        assert statuses(db) == [("pr", "k1", "sent")]


def test_an_interrupted_slack_message_that_never_arrived_is_posted(db, config_factory, db_url):
    with fake_server("slack") as (url, rec):
        cfg = config_with(config_factory, db_url, f"  pr: {{kind: slack, token: xoxb-t, channel: C1, base_url: '{url}/api/'}}",
                          "  red: [pr]")
        put(db, cfg, incident_note(key="k1"))
        interrupted(db)
        assert Deliverer(cfg).deliver_due(db, FixedClock(T0 + timedelta(minutes=6))).sent == 1
        assert len(posts(rec)) == 1


def test_without_the_history_scope_an_interrupted_slack_message_is_posted_again_not_lost(db, config_factory, db_url):
    with fake_server("slack") as (url, rec):
        cfg = config_with(config_factory, db_url, f"  pr: {{kind: slack, token: xoxb-t, channel: C1, base_url: '{url}/api/'}}",
                          "  red: [pr]")
        put(db, cfg, incident_note(key="k1"))
        rec.history_error = "missing_scope"
        interrupted(db)
        assert Deliverer(cfg).deliver_due(db, FixedClock(T0 + timedelta(minutes=6))).sent == 1
        assert len(posts(rec)) == 1 and statuses(db) == [("pr", "k1", "sent")]


def test_an_interrupted_file_message_already_written_is_not_written_twice(db, config_factory, db_url, tmp_path):
    out = tmp_path / "o.jsonl"
    cfg = config_with(config_factory, db_url, f"  f: {{kind: file, path: {out}}}", "  red: [f]")
    put(db, cfg, incident_note(key="k1"))
    out.write_text(json.dumps({"key": "k1", "title": "written before the crash"}) + "\n" + '{"key": "k2", "tit')
    interrupted(db)
    assert Deliverer(cfg).deliver_due(db, FixedClock(T0 + timedelta(minutes=6))).sent == 1
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["key"] == "k1"  # the torn line stays torn; nothing appended


def test_a_file_line_torn_by_a_crash_does_not_swallow_the_next_message(db, config_factory, db_url, tmp_path):
    out = tmp_path / "o.jsonl"
    cfg = config_with(config_factory, db_url, f"  f: {{kind: file, path: {out}}}", "  red: [f]")
    put(db, cfg, incident_note(key="k1"))
    out.write_text('{"key": "k0", "tit')
    assert Deliverer(cfg).deliver_due(db, FixedClock(T0)).sent == 1
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["key"] == "k1"


def test_after_max_attempts_a_message_is_marked_failed_not_lost(db, config_factory, db_url):
    with fake_server("slack") as (url, rec):
        cfg = config_factory(db_url, f"channels:\n  pr: {{kind: slack, token: x, channel: C, base_url: '{url}/api/'}}\n"
                                         "routes:\n  red: [pr]\ndelivery: {max_attempts: 3, backoff: 1s}\n")
        rec.down = True
        put(db, cfg, incident_note())
        d = Deliverer(cfg)
        for i in range(10):
            d.deliver_due(db, FixedClock(T0 + timedelta(minutes=i)))
        with session_scope(db) as s:
            m = s.scalars(select(OutboxMessage)).one()
            assert (m.status, m.attempts) == ("failed", 3) and "503" in m.last_error
