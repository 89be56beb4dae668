"""The incident engine over a stored day of mentions, on a fake clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from monitor.db import make_engine, session_factory, session_scope
from monitor.incidents import (
    IncidentError, acknowledge, evaluate, get_incident, incident_dict, mark_step, resolve, silence,
)
from monitor.migrate import upgrade
from monitor.models import Incident, Mention

T0 = datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def env(config_factory, db_url):
    cfg = config_factory(db_url)
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    yield cfg, factory
    engine.dispose()


_seq = iter(range(1, 10**6))


def add(factory, at, *, reposts=0, negative=True, category="product_quality", kol=False, followers=100,
        author="网友", brand="shouzhuo", ext=None, text="手镯之家的手镯断裂了", priority=0.5, sentiment=None):
    with session_scope(factory) as s:
        m = Mention(source_id="t", external_id=ext or f"m{next(_seq)}", text=text, url="https://x.example/1",
                    author_name=author, author_followers=followers, published_at=at, fetched_at=at, first_seen_at=at,
                    reposts=reposts, comments=0, likes=0, language="zh",
                    sentiment=sentiment if sentiment is not None else 0.1 if negative else 0.9,
                    negative=negative, category=category, kol=kol, priority=priority, brand=brand)
        s.add(m)
        s.flush()
        return m.id


def set_reposts(factory, mention_id, reposts):
    with session_scope(factory) as s:
        s.get(Mention, mention_id).reposts = reposts


def run(factory, cfg, now):
    with session_scope(factory) as s:
        return evaluate(s, cfg, now)


def kinds(report):
    return [(n.kind, n.key) for n in report.notifications]


def test_quiet_negative_talk_opens_nothing(env):
    cfg, factory = env
    for i in range(10):
        add(factory, T0 + timedelta(minutes=i), reposts=3)
    assert run(factory, cfg, T0 + timedelta(hours=1)).notifications == []


def test_a_negative_post_passing_50_reposts_opens_a_yellow_incident_once(env):
    cfg, factory = env
    mid = add(factory, T0, reposts=40)
    assert run(factory, cfg, T0 + timedelta(minutes=10)).opened == []
    set_reposts(factory, mid, 51)
    report = run(factory, cfg, T0 + timedelta(minutes=20))
    assert len(report.opened) == 1
    [note] = report.notifications
    assert (note.kind, note.tier, note.context["cause"], note.context["negative_volume"]) == ("alert", "yellow", "product_quality", 52)
    assert "转发超过 50 次（51 次）" in note.context["trigger"]  # the brand speaks zh-CN
    # Another crawl cycle with nothing new says nothing new.
    assert run(factory, cfg, T0 + timedelta(minutes=30)).notifications == []


def test_a_kol_posting_negatively_opens_a_red_incident(env):
    cfg, factory = env
    add(factory, T0, kol=True, followers=860_000, author="珠宝测评师老王")
    [note] = run(factory, cfg, T0 + timedelta(minutes=5)).notifications
    assert note.tier == "red" and note.context["kol_involved"]
    assert "KOL 珠宝测评师老王（粉丝 860,000）" in note.context["trigger"]


def test_a_kol_post_read_as_only_mildly_negative_opens_nothing_and_is_listed_to_watch(env):
    cfg, factory = env
    # 0.35: negative by the flag (< 0.4), not with confidence (>= incidents.kol_confident_below, 0.25).
    add(factory, T0, kol=True, followers=860_000, author="珠宝测评师老王", sentiment=0.35)
    assert run(factory, cfg, T0 + timedelta(minutes=5)).notifications == []
    # When something else opens the incident, the KOL post counts in the volume and is shown to
    # watch, but does not make the incident red.
    add(factory, T0 + timedelta(minutes=6), reposts=60)
    [note] = run(factory, cfg, T0 + timedelta(minutes=10)).notifications
    assert note.tier == "yellow" and not note.context["kol_involved"]
    assert note.context["negative_volume"] == 62
    assert [k["author_name"] for k in note.context["kol_watch"]] == ["珠宝测评师老王"]
    assert "珠宝测评师老王" not in note.context["trigger"]


def test_the_kol_confidence_bar_is_configurable(env):
    cfg, factory = env
    cfg = cfg.model_copy(update={"incidents": cfg.incidents.model_copy(update={"kol_confident_below": 0.4})})
    add(factory, T0, kol=True, followers=860_000, author="珠宝测评师老王", sentiment=0.35)
    [note] = run(factory, cfg, T0 + timedelta(minutes=5)).notifications
    assert note.tier == "red" and note.context["kol_involved"]


def test_tiers_rise_yellow_orange_red_and_each_rise_notifies_once(env):
    cfg, factory = env
    mid = add(factory, T0, reposts=60)
    r = run(factory, cfg, T0 + timedelta(minutes=5))
    assert [n.tier for n in r.notifications] == ["yellow"]
    set_reposts(factory, mid, 150)
    r = run(factory, cfg, T0 + timedelta(minutes=10))
    assert kinds(r) == [("escalation", f"incident:{r.escalated[0][0]}:tier:orange")]
    assert run(factory, cfg, T0 + timedelta(minutes=15)).notifications == []
    set_reposts(factory, mid, 600)
    r = run(factory, cfg, T0 + timedelta(minutes=20))
    assert [(n.kind, n.tier, n.context["previous_tier"]) for n in r.notifications] == [("escalation", "red", "orange")]


def test_a_tier_never_falls_while_open(env):
    cfg, factory = env
    mid = add(factory, T0, reposts=600)
    run(factory, cfg, T0 + timedelta(minutes=5))
    set_reposts(factory, mid, 60)  # a platform recount
    assert run(factory, cfg, T0 + timedelta(minutes=10)).escalated == []
    with session_scope(factory) as s:
        assert s.scalars(select(Incident.tier)).one() == "red"


def test_a_logistics_storm_during_a_quality_crisis_is_a_second_incident(env):
    cfg, factory = env
    add(factory, T0, reposts=80)
    add(factory, T0 + timedelta(minutes=1), reposts=70, category="logistics", text="手镯之家快递丢件")
    add(factory, T0 + timedelta(minutes=2), reposts=70)  # more quality evidence: same incident
    r = run(factory, cfg, T0 + timedelta(minutes=5))
    assert sorted(n.context["cause"] for n in r.notifications) == ["logistics", "product_quality"]
    with session_scope(factory) as s:
        quality = s.scalars(select(Incident).where(Incident.cause == "product_quality")).one()
        assert quality.figures["negative_count"] == 2 and quality.figures["negative_volume"] == 152


def test_the_figures_count_only_the_window(env):
    cfg, factory = env
    add(factory, T0 - timedelta(hours=30), reposts=400)  # yesterday's storm is out of the window
    add(factory, T0, reposts=60)
    [note] = run(factory, cfg, T0 + timedelta(minutes=5)).notifications
    assert note.context["negative_volume"] == 61 and note.tier == "yellow"


def test_a_whole_incident_day_on_a_fake_clock(env):
    cfg, factory = env
    add(factory, T0, reposts=60)
    now = T0 + timedelta(minutes=5)
    sent: list[tuple[str, str]] = []
    [opened] = run(factory, cfg, now).opened
    sent.append(("alert", "opened"))
    step = timedelta(minutes=5)
    while now < T0 + timedelta(hours=30):
        now += step
        if now == T0 + timedelta(minutes=5, hours=1, seconds=0) + timedelta(minutes=10):
            with session_scope(factory) as s:
                acknowledge(s, opened, actor="lin", now=now)
                mark_step(s, opened, "contact", actor="lin", now=now, config=cfg)
        for n in run(factory, cfg, now).notifications:
            sent.append((n.kind, n.key.split(":", 2)[2]))
    assert sent == [
        ("alert", "opened"),
        ("reminder", "reminder:contact"),  # +1 h, contact not yet done (done 10 min later)
        ("reminder", "reminder:statement"),  # +2 h
        ("deadline_missed", "deadline_missed:statement"),  # +2 h 30
        ("reminder", "reminder:solution"),  # +4 h
        ("status_update", "status:1"),  # +4 h
        ("deadline_missed", "deadline_missed:solution"),
        ("status_update", "status:2"),  # +8 h
        ("status_update", "status:3"),
        ("status_update", "status:4"),
        ("status_update", "status:5"),  # +20 h
        ("resolved", "resolved"),  # 24 h after the last negative mention (published at T0)
    ]
    with session_scope(factory) as s:
        inc = get_incident(s, opened)
        assert inc.status == "resolved" and inc.resolution == "quiet"
        summary = inc.events[-1].detail["summary"]
        assert summary["time_to_ack_seconds"] == 70 * 60  # opened at +5 min, acknowledged at +1 h 15
        assert summary["time_to_first_response_seconds"] is None and summary["clock_kept"] is False


def test_a_missed_deadline_also_goes_to_the_next_tiers_route(env):
    cfg, factory = env
    add(factory, T0, reposts=60)
    run(factory, cfg, T0)
    r = run(factory, cfg, T0 + timedelta(hours=1, minutes=31))
    missed = [n for n in r.notifications if n.kind == "deadline_missed"]
    assert missed and missed[0].also_tiers == ("orange",)


def test_acting_on_an_incident_records_who_and_when_and_keeps_the_clock(env):
    cfg, factory = env
    add(factory, T0, reposts=60)
    [iid] = run(factory, cfg, T0).opened
    with session_scope(factory) as s:
        acknowledge(s, iid, actor="lin", now=T0 + timedelta(minutes=10))
        for i, st in enumerate(["contact", "statement", "solution"]):
            mark_step(s, iid, st, actor="wang", now=T0 + timedelta(minutes=50 + 40 * i), config=cfg)
    r = run(factory, cfg, T0 + timedelta(hours=5))
    assert [n.kind for n in r.notifications] == ["status_update"]  # no reminders: every step was done
    with session_scope(factory) as s:
        [note] = resolve(s, iid, actor="lin", now=T0 + timedelta(hours=6), config=cfg)
        inc = get_incident(s, iid)
        assert [(e.kind, e.actor) for e in inc.events if e.actor] == [
            ("acknowledged", "lin"), ("step_done", "wang"), ("step_done", "wang"), ("step_done", "wang"), ("resolved", "lin")]
    summary = note.context["summary"]
    assert summary["time_to_ack_seconds"] == 600 and summary["time_to_first_response_seconds"] == 90 * 60
    assert summary["clock_kept"] is True
    with session_scope(factory) as s:
        with pytest.raises(IncidentError, match="already resolved"):
            acknowledge(s, iid, actor="x", now=T0 + timedelta(hours=7))


def test_an_unknown_step_is_named_with_the_known_ones(env):
    cfg, factory = env
    add(factory, T0, reposts=60)
    [iid] = run(factory, cfg, T0).opened
    with session_scope(factory) as s, pytest.raises(IncidentError, match="unknown step 'tweet'.*contact, statement, solution"):
        mark_step(s, iid, "tweet", actor="x", now=T0, config=cfg)


def test_silence_mutes_reminders_but_not_a_tier_rise(env):
    cfg, factory = env
    mid = add(factory, T0, reposts=60)
    [iid] = run(factory, cfg, T0).opened
    with session_scope(factory) as s:
        silence(s, iid, until=T0 + timedelta(hours=3), actor="lin", now=T0 + timedelta(minutes=1))
    assert run(factory, cfg, T0 + timedelta(hours=1, minutes=1)).notifications == []
    set_reposts(factory, mid, 700)
    r = run(factory, cfg, T0 + timedelta(hours=2))
    assert [n.kind for n in r.notifications] == ["escalation"]
    r = run(factory, cfg, T0 + timedelta(hours=3, minutes=1))
    # What came due meanwhile goes out when the silence ends, without a burst: a step whose
    # deadline was missed gets that notice alone, its reminder only goes into the history.
    assert kinds(r) == [("deadline_missed", f"incident:{iid}:deadline_missed:contact"),
                        ("deadline_missed", f"incident:{iid}:deadline_missed:statement")]
    with session_scope(factory) as s:
        reminders = [e for e in get_incident(s, iid).events if e.kind == "reminder"]
        assert [(e.detail["step"], e.detail.get("sent")) for e in reminders] == [("contact", False), ("statement", False)]
    r = run(factory, cfg, T0 + timedelta(hours=4, minutes=1))
    assert kinds(r) == [("reminder", f"incident:{iid}:reminder:solution"), ("status_update", f"incident:{iid}:status:1")]


def test_new_evidence_keeps_an_incident_open_past_the_quiet_period(env):
    cfg, factory = env
    add(factory, T0, reposts=60)
    run(factory, cfg, T0)
    add(factory, T0 + timedelta(hours=20))
    r = run(factory, cfg, T0 + timedelta(hours=25))
    assert r.resolved == []
    r = run(factory, cfg, T0 + timedelta(hours=44, minutes=1))
    assert len(r.resolved) == 1


def test_after_resolution_a_new_storm_opens_a_new_incident(env):
    cfg, factory = env
    add(factory, T0, reposts=60)
    [first] = run(factory, cfg, T0).opened
    with session_scope(factory) as s:
        resolve(s, first, actor="lin", now=T0 + timedelta(hours=1), config=cfg)
    add(factory, T0 + timedelta(hours=2), reposts=90)
    r = run(factory, cfg, T0 + timedelta(hours=2, minutes=5))
    assert len(r.opened) == 1 and r.opened[0] != first


def test_a_resolved_incident_does_not_reopen_on_the_posts_it_covered(env):
    cfg, factory = env
    post = add(factory, T0, reposts=60)
    [first] = run(factory, cfg, T0).opened
    with session_scope(factory) as s:
        resolve(s, first, actor="lin", now=T0 + timedelta(minutes=20), config=cfg)
    # Later crawls see the same post, even spreading further: the team closed it.
    assert run(factory, cfg, T0 + timedelta(minutes=30)).notifications == []
    set_reposts(factory, post, 80)
    assert run(factory, cfg, T0 + timedelta(hours=3)).opened == []
    with session_scope(factory) as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 1


def test_the_next_incident_after_a_resolution_counts_only_talk_new_since_then(env):
    cfg, factory = env
    for i in range(5):  # a storm of 5 x 120 reposts: red
        add(factory, T0 + timedelta(minutes=i), reposts=120)
    [first] = run(factory, cfg, T0 + timedelta(minutes=10)).opened
    with session_scope(factory) as s:
        resolve(s, first, actor="lin", now=T0 + timedelta(hours=1), config=cfg)
    add(factory, T0 + timedelta(hours=2), reposts=60)
    r = run(factory, cfg, T0 + timedelta(hours=2, minutes=5))
    [second] = r.opened
    assert [(n.kind, n.tier, n.context["negative_volume"]) for n in r.notifications] == [("alert", "yellow", 61)]
    # The resolved storm's posts are still in the 24-hour window; they must not raise the new
    # incident's tier on the next cycle, when nothing new has happened.
    assert run(factory, cfg, T0 + timedelta(hours=2, minutes=10)).notifications == []
    with session_scope(factory) as s:
        assert get_incident(s, second).tier == "yellow"


def test_an_older_post_found_after_a_resolution_is_new_evidence(env):
    cfg, factory = env
    add(factory, T0, reposts=60)
    [first] = run(factory, cfg, T0).opened
    with session_scope(factory) as s:
        resolve(s, first, actor="lin", now=T0 + timedelta(hours=1), config=cfg)
    late = add(factory, T0 + timedelta(minutes=10), reposts=70)
    with session_scope(factory) as s:
        s.get(Mention, late).first_seen_at = T0 + timedelta(hours=2)
    r = run(factory, cfg, T0 + timedelta(hours=2))
    assert len(r.opened) == 1 and r.opened[0] != first
    with session_scope(factory) as s:
        assert get_incident(s, r.opened[0]).figures["top_ids"] == [late]


def test_an_alert_lists_its_posts_by_priority_before_reach(env):
    cfg, factory = env
    wide = add(factory, T0, reposts=200, priority=0.55, author="路人")  # opens it: the widest reach
    urgent = add(factory, T0 + timedelta(minutes=1), reposts=30, priority=0.9, author="受害者")
    plain = add(factory, T0 + timedelta(minutes=2), reposts=30, priority=0.4, author="网友")
    [note] = run(factory, cfg, T0 + timedelta(minutes=5)).notifications
    assert [p["id"] for p in note.context["top_posts"]] == [urgent, wide, plain]


def test_incident_dict_carries_the_clock(env):
    cfg, factory = env
    add(factory, T0, reposts=60)
    [iid] = run(factory, cfg, T0).opened
    with session_scope(factory) as s:
        d = incident_dict(get_incident(s, iid), cfg, T0 + timedelta(minutes=30), events=True)
    assert d["clock"]["next_checkpoint"]["step"] == "contact" and d["clock"]["seconds_left"] == 3.5 * 3600
    assert d["events"][0]["kind"] == "opened" and d["top_posts"][0]["reposts"] == 60


def test_trigger_reasons_speak_the_brands_language(env):
    from monitor.figures import Figures
    from monitor.thresholds import triggers

    cfg, _ = env
    fig = Figures(brand="s", cause="product_quality", negative_count=8)
    hourly = [0] * 24 + [40]
    zh = triggers(fig, cfg.incidents.model_copy(update={"spike": cfg.incidents.spike.model_copy(update={"enabled": True})}), hourly, "zh-CN", 8)
    en = triggers(fig, cfg.incidents.model_copy(update={"spike": cfg.incidents.spike.model_copy(update={"enabled": True})}), hourly, "en", 8)
    assert zh and "过去一小时负面声量（40）" in zh[0]
    assert en and "negative volume in the last hour (40)" in en[0]


SPIKE = "incidents:\n  spike: {enabled: %s, multiple: 3, baseline_days: 1, min_volume: 20}\n"


@pytest.fixture
def spike_env(config_factory, db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    yield (lambda enabled: config_factory(db_url, SPIKE % ("true" if enabled else "false"))), factory
    engine.dispose()


def usual_day(factory, now, per_hour=2):
    """A day of ordinary complaints: ``per_hour`` small negative posts in each of the 24 hours before the last."""
    for hour in range(1, 25):
        for _ in range(per_hour):
            add(factory, now - timedelta(hours=hour, minutes=30))


def test_two_posts_in_a_quiet_hour_are_not_a_spike(spike_env):
    make, factory = spike_env
    now = T0 + timedelta(days=1)
    add(factory, now - timedelta(minutes=20))
    add(factory, now - timedelta(minutes=10))
    assert run(factory, make(True), now).opened == []


def test_two_posts_reposted_past_the_minimum_volume_are_still_not_a_spike(spike_env):
    make, factory = spike_env
    now = T0 + timedelta(days=1)
    # 2 posts x (1 + 15 reposts) = 32: above min_volume (20) and far above a quiet hour,
    # but fewer posts than min_posts (5); neither passes the repost threshold (50).
    add(factory, now - timedelta(minutes=20), reposts=15)
    add(factory, now - timedelta(minutes=10), reposts=15)
    assert run(factory, make(True), now).opened == []


def test_a_spike_above_the_minimum_at_several_times_the_usual_level_opens_a_yellow_incident(spike_env):
    make, factory = spike_env
    now = T0 + timedelta(days=1)
    usual_day(factory, now)  # 2 an hour
    for i in range(25):  # 25 in the last hour: 12.5 times the usual level, above the minimum of 20
        add(factory, now - timedelta(minutes=50) + timedelta(minutes=i))
    [note] = run(factory, make(True), now).notifications
    # 71: the 24-hour window holds 23 of the usual hours (46) and the last hour (25).
    assert (note.kind, note.tier, note.context["negative_volume"]) == ("alert", "yellow", 71)
    # The reason gives the actual ratio and the usual hourly level, not the configured multiple.
    assert note.context["trigger"] == "过去一小时负面声量（25）是平时每小时水平（2.0）的 12.5 倍"


def test_with_the_spike_trigger_disabled_the_same_hour_opens_nothing(spike_env):
    make, factory = spike_env
    now = T0 + timedelta(days=1)
    usual_day(factory, now)
    for i in range(25):
        add(factory, now - timedelta(minutes=50) + timedelta(minutes=i))
    assert run(factory, make(False), now).notifications == []


def test_the_spike_reason_speaks_english_for_english_brands():
    from monitor.config import IncidentsConfig, SpikeConfig
    from monitor.figures import Figures
    from monitor.thresholds import triggers

    cfg = IncidentsConfig(spike=SpikeConfig(enabled=True, multiple=3, min_volume=20))
    fig = Figures(brand="s", cause="product_quality")
    assert triggers(fig, cfg, [4] * 24 + [40], "en", 10) == ["negative volume in the last hour (40) is 10.0× its usual hourly level (4.0)"]
    assert triggers(fig, cfg, [0] * 24 + [40], "en", 10) == ["negative volume in the last hour (40) against a usual hourly level of 0.0"]
    assert triggers(fig, cfg, [0] * 24 + [40], "en", 4) == []  # 40 from 4 posts: below min_posts (5)


def test_a_status_update_says_what_changed_since_the_last_one(env):
    from dataclasses import asdict
    from pathlib import Path

    from alerts.render import Renderer

    cfg, factory = env
    add(factory, T0, reposts=60, ext="first")
    [iid] = run(factory, cfg, T0).opened
    add(factory, T0 + timedelta(minutes=30), reposts=20, ext="second", text="手镯之家的客服不回消息")
    run(factory, cfg, T0 + timedelta(minutes=35))
    with session_scope(factory) as s:
        acknowledge(s, iid, actor="lin", now=T0 + timedelta(minutes=40))
    for minutes in (61, 91, 121):  # contact reminded, contact missed, statement reminded
        run(factory, cfg, T0 + timedelta(minutes=minutes))
    add(factory, T0 + timedelta(minutes=140), kol=True, followers=860_000, author="珠宝测评师老王", ext="kol")
    run(factory, cfg, T0 + timedelta(minutes=151))  # the KOL raises it to red; statement missed
    with session_scope(factory) as s:
        mark_step(s, iid, "contact", actor="wang", now=T0 + timedelta(minutes=170), config=cfg)
    [status] = [n for n in run(factory, cfg, T0 + timedelta(hours=4, minutes=1)).notifications if n.kind == "status_update"]
    changes = status.context["changes"]
    summary = [(c["kind"], c.get("step_title") or c.get("names") or (c["detail"] or {}).get("to")) for c in changes
               if c["kind"] not in ("volume", "new_posts")]
    assert summary == [
        ("new_kols", ["珠宝测评师老王"]),
        ("acknowledged", None),
        ("reminder", "私信联系发帖人"),
        ("deadline_missed", "私信联系发帖人"),
        ("reminder", "发布官方声明"),
        ("escalated", "red"),
        ("deadline_missed", "发布官方声明"),
        ("step_done", "私信联系发帖人"),
        ("reminder", "公布解决方案（处理、补偿、改进）"),  # due at the same moment as this update
    ]
    [volume] = [c for c in changes if c["kind"] == "volume"]
    assert (volume["from"], volume["to"]) == (61, 83)  # at opening → now
    [posts] = [c for c in changes if c["kind"] == "new_posts"]
    assert sorted(p["text"] for p in posts["posts"]) == ["手镯之家的客服不回消息", "手镯之家的手镯断裂了"]
    text = Renderer(Path(__file__).resolve().parents[1] / "templates", "plain").render(asdict(status)).body
    for needle in ("负面声量 61 → 83", "新的 KOL 参与：珠宝测评师老王", "新进入热门的负面帖 2 条", "手镯之家的客服不回消息",
                   "lin 确认了事件", "已提醒：私信联系发帖人 未完成", "逾期：发布官方声明", "等级升为红色",
                   "wang 完成步骤：私信联系发帖人"):
        assert needle in text, needle
    # The next update compares with this one: only what happened since.
    [status2] = [n for n in run(factory, cfg, T0 + timedelta(hours=8, minutes=1)).notifications if n.kind == "status_update"]
    assert [(c["kind"], c.get("step_title")) for c in status2.context["changes"]] == [
        ("deadline_missed", "公布解决方案（处理、补偿、改进）")]


def test_resolving_from_the_cli_delivers_the_closing_summary_at_once(db_url, tmp_path):
    import json
    import textwrap

    from click.testing import CliRunner

    from monitor.cli import main
    from monitor.config import load_config
    from tests.support.factories import BRAND_YAML

    out = tmp_path / "alerts.jsonl"
    path = tmp_path / "config.yaml"
    path.write_text(f"database:\n  url: {db_url}\n" + textwrap.dedent(BRAND_YAML)
                    + f"channels:\n  out: {{kind: file, path: '{out}'}}\nroutes:\n  yellow: [out]\n")
    cfg = load_config(path, env={})
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    try:
        add(factory, T0, reposts=60)
        [iid] = run(factory, cfg, T0).opened
        now = (T0 + timedelta(hours=1)).isoformat()
        ack = CliRunner().invoke(main, ["incidents", "ack", str(iid), "--by", "lin", "--now", now, "--config", str(path)])
        assert ack.exit_code == 0 and "notifications" not in ack.output  # nothing to say, nothing sent
        result = CliRunner().invoke(main, ["incidents", "resolve", str(iid), "--by", "lin", "--now", now, "--config", str(path)])
        assert result.exit_code == 0, result.output
        assert "resolved by lin" in result.output and "notifications: 1 sent" in result.output
        [line] = out.read_text().splitlines()
        record = json.loads(line)
        assert (record["kind"], record["incident_id"]) == ("resolved", iid) and "已结束" in record["title"]
    finally:
        engine.dispose()
