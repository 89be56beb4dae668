from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from monitor import charts
from monitor.clock import FixedClock
from monitor.db import make_engine, session_factory, session_scope
from monitor.digest import gather, send_digests
from monitor.incidents import acknowledge, evaluate, mark_step, resolve
from monitor.migrate import upgrade
from monitor.models import Mention, OutboxMessage

DAY = date(2026, 3, 10)
T = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
HOSTILE = '<script>alert("x")</script> 手镯之家断裂了 <img src=x onerror=alert(1)>'


@pytest.fixture
def env(config_factory, db_url, tmp_path):
    cfg = config_factory(db_url, f"channels:\n  arch: {{kind: file, path: {tmp_path / 'a.jsonl'}}}\nroutes:\n  digest: [arch]\n"
                                 f"digest: {{dir: {tmp_path / 'digests'}}}\n")
    engine = make_engine(db_url)
    upgrade(engine)
    yield cfg, session_factory(engine)
    engine.dispose()


def add(factory, at, negative, reposts=0, category="product_quality", kol=False, text="手镯之家的手镯断裂了", n=[0],
        sentiment=None, url=None):
    n[0] += 1
    with session_scope(factory) as s:
        s.add(Mention(source_id="t", external_id=f"d{n[0]}", text=text, url=url or f"https://x.example/{n[0]}", author_name="阿花",
                      author_followers=10, published_at=at, fetched_at=at, first_seen_at=at, reposts=reposts, comments=1, likes=2,
                      sentiment=sentiment if sentiment is not None else 0.1 if negative else 0.9, negative=negative,
                      category=category if negative else None, kol=kol, brand="shouzhuo"))


def test_the_digest_covers_seven_days_categories_top_posts_kols_and_incidents(env):
    cfg, factory = env
    add(factory, T - timedelta(days=3), False)
    for i in range(4):
        add(factory, T + timedelta(minutes=i), True, reposts=10 * i)
    add(factory, T, True, reposts=70, kol=True, text=HOSTILE)
    add(factory, T, True, category="logistics")
    add(factory, T, False)
    with session_scope(factory) as s:
        [iid] = evaluate(s, cfg, T + timedelta(minutes=10)).opened
        acknowledge(s, iid, actor="lin", now=T + timedelta(minutes=30))
        for i, step in enumerate(["contact", "statement", "solution"]):
            mark_step(s, iid, step, actor="lin", now=T + timedelta(minutes=40 + 30 * i), config=cfg)
        resolve(s, iid, actor="lin", now=T + timedelta(hours=5), config=cfg)
    with session_scope(factory) as s:
        d = gather(s, cfg, cfg.brands[0], DAY)
    assert [x["mentions"] for x in d["days"]] == [0, 0, 0, 1, 0, 0, 7]
    assert d["negative"] == 6 and round(d["negative_share"], 3) == round(6 / 7, 3)
    assert [(c["id"], c["count"]) for c in d["categories"][:2]] == [("product_quality", 5), ("logistics", 1)]
    assert d["top_negative"][0]["reposts"] == 70 and len(d["kol_mentions"]) == 1
    assert sum(d["sentiment_bins"]) == 7
    [inc] = d["incidents"]["resolved"]
    assert inc["clock_kept"] and inc["time_to_ack"] == "20 min" and inc["time_to_first_response"] == "1 h 00 min"
    assert d["kept"] == 1


def test_digest_pages_are_archived_with_drawn_charts_escaped_text_and_a_card_in_the_outbox(env, tmp_path):
    cfg, factory = env
    add(factory, T, True, reposts=70, text=HOSTILE)
    [r] = send_digests(cfg, factory, FixedClock(T + timedelta(days=1)))
    assert r.path == tmp_path / "digests" / "shouzhuo" / "2026-03-10.html"
    html = r.path.read_text()
    assert html.count("<svg") == 3 and 'class="bar"' in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "<img src=x" not in html
    assert "舆情日报" in html
    with session_scope(factory) as s:
        [msg] = s.scalars(select(OutboxMessage)).all()
        assert (msg.channel, msg.kind, msg.idempotency_key) == ("arch", "digest", "digest:shouzhuo:2026-03-10")
    send_digests(cfg, factory, FixedClock(T + timedelta(days=1)))  # a rerun sends no second card
    with session_scope(factory) as s:
        assert len(s.scalars(select(OutboxMessage)).all()) == 1


def test_a_day_with_no_mentions_still_makes_a_readable_digest(env):
    cfg, factory = env
    [r] = send_digests(cfg, factory, FixedClock(T), day=DAY)
    html = r.path.read_text()
    assert html.count("<svg") == 3 and "当日无负面提及" in html


def test_english_brands_get_an_english_digest(config_factory, tmp_path, db_url):
    brands = "brands:\n  - {id: acme, name: Acme, locale: en, keywords: {any: [acme]}}\n"
    cfg = config_factory(db_url, f"digest: {{dir: {tmp_path / 'dg'}}}\n", brands=brands)
    engine = make_engine(cfg.database_url())
    upgrade(engine)
    [r] = send_digests(cfg, session_factory(engine), FixedClock(T), day=DAY, send=False)
    assert "daily digest" in r.path.read_text() and "舆情" not in r.path.read_text()
    engine.dispose()


def texts(svg, cls):
    return [t for t in re.findall(rf'<text class="{cls}"[^>]*>(?:<title>.*?</title>)?([^<]*)</text>', svg)]


def bars(svg):
    return [float(h) for h in re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', svg)]


def bar_colours(svg):
    return re.findall(r'<rect class="bar"[^>]*fill="([^"]+)"', svg)


def parse_num(label):
    scale = {"k": 1000, "M": 1_000_000}.get(label[-1], 1)
    return float(label.rstrip("kM")) * scale


def test_a_day_of_a_hundred_thousand_leaves_small_days_visible_and_every_value_printed():
    values = [3, 0, 1, 8, 250, 37_500, 100_000]
    shares = [1 / 3, 0.0, 1.0, 0.625, 0.384, 0.32, 0.32]
    svg = charts.bar_chart([f"03-{i:02d}" for i in range(4, 11)], values, share=shares, title="t")
    heights = bars(svg)
    assert heights[1] == 0 and all(h >= charts.MIN_BAR for i, h in enumerate(heights) if i != 1)
    assert max(heights) <= 250
    assert texts(svg, "value") == ["3", "0", "1", "8", "250", "37,500", "100,000"]
    assert texts(svg, "share") == ["33.3%", "—", "100%", "62.5%", "38.4%", "32%", "32%"]  # no share without mentions
    assert texts(svg, "tick") == ["0", "0%", "25k", "25%", "50k", "50%", "75k", "75%", "100k", "100%"]


def test_an_empty_week_draws_a_note_and_no_scale_or_bars():
    svg = charts.bar_chart([f"03-{i:02d}" for i in range(7)], [0] * 7, share=[0.0] * 7, title="t", empty="近7天无提及")
    assert texts(svg, "empty") == ["近7天无提及"] and texts(svg, "tick") == ["0"] and texts(svg, "value") == []
    assert bars(svg) == [0.0] * 7 and "<polyline" not in svg and "<circle" not in svg


@pytest.mark.parametrize("top", [1, 7, 9_000, 37_500, 45_001, 99_999, 100_000, 120_000, 1_234_567])
def test_axis_labels_read_their_exact_values(top):
    svg = charts.bar_chart(["a", "b"], [top, top // 3], title="t")
    ticks = [parse_num(t) for t in texts(svg, "tick")]
    vmax = charts.nice_max(top)
    assert ticks == [vmax * i / 4 for i in range(5)] and vmax >= top
    assert all(len(t) <= 6 for t in texts(svg, "tick"))


def test_short_number_formats_are_exact():
    assert [charts.fmt_num(v) for v in (0, 250, 2500, 7500, 10_000, 37_500, 112_500, 1_250_000)] == [
        "0", "250", "2.5k", "7.5k", "10k", "37.5k", "112.5k", "1.25M"]
    assert charts.fmt_count(100_000) == "100,000" and charts.fmt_share(0.125) == "12.5%" and charts.fmt_share(1) == "100%"


def test_the_category_chart_labels_counts_and_shares_and_shortens_long_names():
    long = "packaging_damage_during_cross_border_transit"
    svg = charts.hbar_chart(["产品质量", long, "物流配送"], [17_217, 1_034, 0], title="t")
    names = texts(svg, "category")
    assert names[0] == "产品质量" and names[1].endswith("…") and long.startswith(names[1][:-1])
    assert charts.text_width(names[1]) <= 150 - 14
    assert f"<title>{long}</title>" in svg  # the whole name on hover
    assert texts(svg, "value") == ["17,217 (94.3%)", "1,034 (5.7%)", "0"]
    heights = [float(w) for w in re.findall(r'<rect class="bar"[^>]*width="([\d.]+)"', svg)]
    assert heights[1] >= charts.MIN_BAR and heights[2] == 0


def test_the_category_chart_of_a_day_without_complaints_says_so():
    svg = charts.hbar_chart(["产品质量", "物流配送"], [0, 0], title="t", empty="无负面提及")
    assert texts(svg, "empty") == ["无负面提及"] and "<rect" not in svg


def test_the_sentiment_histogram_labels_each_bin_and_colours_the_negative_ones():
    counts = [0, 5, 0, 12_000, 1, 0, 0, 0, 2, 40]
    svg = charts.histogram(counts, title="t", cut=0.4, legend="负面（< 0.4）")
    assert texts(svg, "value") == ["0", "5", "0", "12,000", "1", "0", "0", "0", "2", "40"]
    heights = bars(svg)
    assert [h > 0 for h in heights] == [c > 0 for c in counts] and min(h for h in heights if h) >= charts.MIN_BAR
    assert bar_colours(svg) == [charts.PALETTE["neg"]] * 4 + [charts.PALETTE["bar"]] * 6
    assert "负面（&lt; 0.4）" in svg


def test_the_digest_charts_print_the_weeks_counts_and_shares(env):
    cfg, factory = env
    add(factory, T - timedelta(days=2), True)
    for negative in (True, False, False, False):
        add(factory, T, negative)
    [r] = send_digests(cfg, factory, FixedClock(T + timedelta(days=1)), day=DAY, send=False)
    volume = r.path.read_text().split("<svg")[1]
    assert texts(volume, "value") == ["0", "0", "0", "0", "1", "0", "4"]
    assert texts(volume, "share") == ["—", "—", "—", "—", "100%", "—", "25%"]


def test_chart_labels_are_escaped():
    svg = charts.hbar_chart(['<b onmouseover="x">'], [3], title="<t>")
    assert "<b onmouseover" not in svg and "&lt;b" in svg


def make_incident(factory, cfg, cause, opened, steps=None, resolve_after=None):
    """An incident of ``cause`` opened at ``opened``, steps marked after the given delays."""
    from monitor.models import Incident

    with session_scope(factory) as s:
        inc = Incident(brand="shouzhuo", cause=cause, status="open", tier="red", opened_at=opened, updated_at=opened, figures={})
        s.add(inc)
        s.flush()
        iid = inc.id
        acknowledge(s, iid, actor="lin", now=opened + timedelta(minutes=10))
        for step, after in (steps or {}).items():
            mark_step(s, iid, step, actor="lin", now=opened + after, config=cfg)
        if resolve_after is not None:
            resolve(s, iid, actor="lin", now=opened + resolve_after, config=cfg)
    return iid


def test_an_incident_opened_and_resolved_the_same_day_is_one_row(env):
    cfg, factory = env
    iid = make_incident(factory, cfg, "logistics", T, {"contact": timedelta(minutes=30)}, resolve_after=timedelta(hours=1))
    earlier = make_incident(factory, cfg, "price", T - timedelta(hours=12), resolve_after=timedelta(hours=13))
    with session_scope(factory) as s:
        d = gather(s, cfg, cfg.brands[0], DAY)
    rows = {r["id"]: r for r in d["incidents"]["rows"]}
    assert len(d["incidents"]["rows"]) == 2
    assert (rows[iid]["opened_today"], rows[iid]["resolved_today"]) == (True, True)
    assert (rows[earlier]["opened_today"], rows[earlier]["resolved_today"]) == (False, True)
    assert len(d["incidents"]["opened"]) == 1 and len(d["incidents"]["resolved"]) == 2
    [r] = send_digests(cfg, factory, FixedClock(T + timedelta(days=1)), day=DAY, send=False)
    html = r.path.read_text()
    assert html.count(f'data-incident="{iid}"') == 1 and html.count(f'data-incident="{earlier}"') == 1


def test_the_clock_label_tells_kept_missed_and_resolved_early_apart(env):
    cfg, factory = env
    h = timedelta(hours=1)
    on_time = {"contact": 0.5 * h, "statement": 1.5 * h, "solution": 3 * h}
    kept = make_incident(factory, cfg, "product_quality", T, on_time, resolve_after=5 * h)
    late = make_incident(factory, cfg, "logistics", T, {**on_time, "statement": 2.5 * h}, resolve_after=5 * h)
    undone = make_incident(factory, cfg, "after_sales", T, {"contact": 0.5 * h}, resolve_after=3 * h)
    early = make_incident(factory, cfg, "price", T, {"contact": 0.5 * h}, resolve_after=1 * h)
    # Still open at the day's end: one with nothing overdue yet, one already past a step's time.
    still_open = make_incident(factory, cfg, "website", T + 12.5 * h, {"contact": 0.25 * h})
    open_overdue = make_incident(factory, cfg, "other", T + 8 * h, {"contact": 0.5 * h})
    with session_scope(factory) as s:
        d = gather(s, cfg, cfg.brands[0], DAY)
    verdict = {r["id"]: r["clock"] for r in d["incidents"]["rows"]}
    assert verdict == {kept: "kept", late: "missed", undone: "missed", early: "resolved_early", still_open: "open",
                       open_overdue: "missed"}
    rows = {r["id"]: r for r in d["incidents"]["rows"]}
    assert rows[late]["missed_steps"] == ["发布官方声明"] and rows[undone]["missed_steps"] == ["发布官方声明"]
    assert d["kept"] == 1
    [r] = send_digests(cfg, factory, FixedClock(T + timedelta(days=1)), day=DAY, send=False)
    html = r.path.read_text()
    label = {iid: re.search(rf'data-incident="{iid}".*?class="clock-(\w+)"', html, re.S).group(1) for iid in verdict}
    assert label == verdict
    assert html.count("✗ 超时") == 3 and html.count("✓ 按时") == 1 and "提前结束" in html


def test_english_digest_labels_the_clock_in_english(config_factory, tmp_path, db_url):
    brands = "brands:\n  - {id: shouzhuo, name: Acme, locale: en, keywords: {any: [acme]}}\n"
    cfg = config_factory(db_url, f"digest: {{dir: {tmp_path / 'dg'}}}\n", brands=brands)
    engine = make_engine(cfg.database_url())
    upgrade(engine)
    factory = session_factory(engine)
    make_incident(factory, cfg, "price", T, {"contact": timedelta(minutes=30)}, resolve_after=timedelta(hours=1))
    make_incident(factory, cfg, "logistics", T, {"contact": timedelta(minutes=90)}, resolve_after=timedelta(hours=2))
    [r] = send_digests(cfg, factory, FixedClock(T + timedelta(days=1)), day=DAY, send=False)
    html = r.path.read_text()
    assert "resolved early" in html and "✗ missed" in html and "Contact the poster privately" in html
    assert "超时" not in html and "提前" not in html
    engine.dispose()


def test_time_to_first_response_shows_for_an_incident_still_open(env):
    cfg, factory = env
    iid = make_incident(factory, cfg, "logistics", T, {"contact": timedelta(minutes=20), "statement": timedelta(minutes=95)})
    with session_scope(factory) as s:
        d = gather(s, cfg, cfg.brands[0], DAY)
    [row] = d["incidents"]["rows"]
    assert row["id"] == iid and row["status"] != "resolved"
    assert row["time_to_ack"] == "10 min" and row["time_to_first_response"] == "1 h 35 min"


def test_the_sentiment_histogram_floors_into_tenths_and_puts_one_in_the_top_bin(env):
    cfg, factory = env
    for value in (0.35, 0.36, 0.99, 1.0, 0.0, 0.1):
        add(factory, T, value < 0.4, sentiment=value)
    with session_scope(factory) as s:
        d = gather(s, cfg, cfg.brands[0], DAY)
    assert d["sentiment_bins"] == [1, 1, 0, 2, 0, 0, 0, 0, 0, 2]


def test_a_javascript_post_url_in_the_digest_is_not_a_link(env):
    cfg, factory = env
    add(factory, T, True, reposts=90, kol=True, url="javascript:alert(1)", text="危险链接的帖子")
    add(factory, T, True, reposts=10, url="https://weibo.example/ok")
    [r] = send_digests(cfg, factory, FixedClock(T + timedelta(days=1)), day=DAY, send=False)
    html = r.path.read_text()
    assert "javascript:" not in html.lower() and html.count("危险链接的帖子") == 2
    assert 'href="https://weibo.example/ok"' in html


def test_due_digest_days_wait_for_the_configured_time():
    from datetime import time as dtime

    from monitor.digest import due_digest_days

    tz = ZoneInfo("Asia/Shanghai")
    assert due_digest_days(datetime(2026, 3, 12, 8, 59, tzinfo=tz), dtime(9, 0)) == [date(2026, 3, 9), date(2026, 3, 10)]
    assert due_digest_days(datetime(2026, 3, 12, 9, 0, tzinfo=tz), dtime(9, 0)) == [date(2026, 3, 10), date(2026, 3, 11)]
    assert due_digest_days(datetime(2026, 3, 12, 9, 0, tzinfo=tz), dtime(9, 0), lookback=1) == [date(2026, 3, 11)]


def test_a_missed_digest_is_caught_up_once_and_never_sent_twice(env, tmp_path):
    from monitor.digest import catch_up_digests, missing_digests

    cfg, factory = env
    add(factory, T - timedelta(days=1), True)  # monitoring began on 03-09
    add(factory, T, True)
    # 03-12 10:00 in Shanghai: the 03-11 run was missed (service down at 09:00).
    clock = FixedClock(datetime(2026, 3, 12, 2, 0, tzinfo=timezone.utc))
    [r10] = send_digests(cfg, factory, FixedClock(datetime(2026, 3, 11, 1, 0, tzinfo=timezone.utc)))  # 03-10's, sent on time
    assert r10.path.name == "2026-03-10.html"
    with session_scope(factory) as s:
        assert missing_digests(cfg, s, clock.now()) == [("shouzhuo", date(2026, 3, 11))]
    [r11] = catch_up_digests(cfg, factory, clock)
    assert r11.path == tmp_path / "digests" / "shouzhuo" / "2026-03-11.html" and r11.path.exists()
    assert catch_up_digests(cfg, factory, clock) == []
    r11.path.unlink()  # even a lost archive file does not send the card twice
    catch_up_digests(cfg, factory, clock)
    with session_scope(factory) as s:
        keys = sorted(m.idempotency_key for m in s.scalars(select(OutboxMessage)))
    assert keys == ["digest:shouzhuo:2026-03-10", "digest:shouzhuo:2026-03-11"]


def test_a_no_send_preview_does_not_stop_the_catch_up_from_sending_the_card_once(env, db_url, tmp_path):
    import json

    from click.testing import CliRunner

    from alerts.delivery import Deliverer
    from monitor.cli.app import main
    from monitor.digest import catch_up_digests, missing_digests

    cfg, factory = env
    add(factory, T - timedelta(days=1), True)  # monitoring began on 03-09
    add(factory, T + timedelta(days=1), True)
    send_digests(cfg, factory, FixedClock(datetime(2026, 3, 11, 1, 0, tzinfo=timezone.utc)))  # 03-10's, sent on time
    # The service is down on 03-12 at 09:00; someone previews 03-11's digest by hand.
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(f"database: {{url: '{db_url}'}}\nbrands:\n  - {{id: shouzhuo, name: 手镯之家, keywords: {{any: [手镯之家]}}}}\n"
                        f"channels:\n  arch: {{kind: file, path: '{tmp_path / 'a.jsonl'}'}}\nroutes:\n  digest: [arch]\n"
                        f"digest: {{dir: '{tmp_path / 'digests'}'}}\n")
    result = CliRunner().invoke(main, ["digest", "--no-send", "--date", "2026-03-11", "--now", "2026-03-12T09:30:00+08:00",
                                       "--config", str(cfg_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = tmp_path / "digests" / "shouzhuo" / "2026-03-11.html"
    assert page.exists()
    with session_scope(factory) as s:
        assert [m.idempotency_key for m in s.scalars(select(OutboxMessage))] == ["digest:shouzhuo:2026-03-10"]
    # The service starts at 10:00: the previewed day's card was never queued, so it is due.
    clock = FixedClock(datetime(2026, 3, 12, 2, 0, tzinfo=timezone.utc))
    with session_scope(factory) as s:
        assert missing_digests(cfg, s, clock.now()) == [("shouzhuo", date(2026, 3, 11))]
    [r] = catch_up_digests(cfg, factory, clock)
    assert r.path == page and page.exists()
    assert catch_up_digests(cfg, factory, clock) == []  # a second catch-up sends nothing
    Deliverer(cfg).deliver_due(factory, clock)
    assert catch_up_digests(cfg, factory, clock) == []
    Deliverer(cfg).deliver_due(factory, clock)
    sent = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [m["key"] for m in sent] == ["digest:shouzhuo:2026-03-10", "digest:shouzhuo:2026-03-11"]  # 03-11's exactly once
    with session_scope(factory) as s:
        rows = sorted(m.idempotency_key for m in s.scalars(select(OutboxMessage)))
    assert rows == ["digest:shouzhuo:2026-03-10", "digest:shouzhuo:2026-03-11"]


def test_without_a_digest_route_the_catch_up_only_writes_missing_pages(config_factory, db_url, tmp_path):
    from monitor.digest import catch_up_digests

    cfg = config_factory(db_url, f"digest: {{dir: {tmp_path / 'digests'}}}\n")
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    try:
        add(factory, T - timedelta(days=1), True)
        clock = FixedClock(datetime(2026, 3, 12, 2, 0, tzinfo=timezone.utc))
        assert [r.path.name for r in catch_up_digests(cfg, factory, clock)] == ["2026-03-10.html", "2026-03-11.html"]
        assert catch_up_digests(cfg, factory, clock) == []  # no card can be queued: the pages are the record
    finally:
        engine.dispose()


def test_no_digest_is_caught_up_for_days_before_monitoring_began(env):
    from monitor.digest import catch_up_digests

    cfg, factory = env
    assert catch_up_digests(cfg, factory, FixedClock(T + timedelta(days=2))) == []  # no mention at all yet
    add(factory, T + timedelta(days=1, hours=1), True)  # first mention on 03-11
    [r] = catch_up_digests(cfg, factory, FixedClock(T + timedelta(days=2)))  # 03-12 10:00: 03-10 and 03-11 due
    assert r.path.name == "2026-03-11.html"


def service_for(cfg, tmp_path, clock):
    from monitor.service import Service

    path = tmp_path / "config.yaml"
    path.write_text("# the test passes the parsed config itself\n")
    return Service(path, cfg, clock=clock)


def test_the_service_catches_up_at_start_and_on_every_daily_run(env, tmp_path):
    cfg, factory = env
    add(factory, T - timedelta(days=1), True)
    svc = service_for(cfg, tmp_path, FixedClock(datetime(2026, 3, 12, 1, 0, tzinfo=timezone.utc)))  # 03-12 09:00
    try:
        svc._schedule_all()
        job = svc.scheduler.get_job("digest-catch-up")
        assert job is not None and job.next_run_time is not None
        svc.daily_digest()  # the daily run writes 03-11 and catches up the missed 03-10
        folder = tmp_path / "digests" / "shouzhuo"
        assert sorted(p.name for p in folder.iterdir()) == ["2026-03-10.html", "2026-03-11.html"]
        with session_scope(factory) as s:
            assert len(s.scalars(select(OutboxMessage)).all()) == 2
    finally:
        svc.engine.dispose()


@pytest.mark.parametrize("at, tz, local", [("09:00", "Asia/Shanghai", (9, 0)), ("18:30", "Europe/Berlin", (18, 30))])
def test_the_scheduler_runs_the_digest_at_the_configured_local_time_and_zone(config_factory, tmp_path, at, tz, local):
    cfg = config_factory(f"sqlite:///{tmp_path / 's.db'}", f"timezone: {tz}\ndigest: {{time: '{at}', dir: {tmp_path / 'dg'}}}\n")
    svc = service_for(cfg, tmp_path, FixedClock(T))
    try:
        svc._schedule_fixed_jobs()
        job = svc.scheduler.get_job("digest")
        start = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
        first = job.trigger.get_next_fire_time(None, start)
        second = job.trigger.get_next_fire_time(first, first + timedelta(seconds=1))
        assert str(first.tzinfo) == tz and (first.hour, first.minute) == local
        assert first > start and second - first == timedelta(days=1)
    finally:
        svc.engine.dispose()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_digest_kpis_have_thousands_separators(env, locale):
    from monitor.digest import render_html

    cfg, factory = env
    with session_scope(factory) as s:
        d = gather(s, cfg, cfg.brands[0], DAY)
    d["brand"]["locale"] = locale
    d.update(total=100_000, negative=32_019, negative_share=0.32019)
    html = render_html(d, cfg)
    kpis = re.search(r'id="kpi-total"><b>([^<]+)</b>.*?id="kpi-negative"><b>([^<]+)</b><span>([^<]+)</span>', html, re.S).groups()
    assert kpis[0] == "100,000" and kpis[1] == "32.0%" and "32,019" in kpis[2]


@pytest.fixture
def card_env(config_factory, db_url, tmp_path):
    def make(public_url=None):
        web = f"web: {{public_url: '{public_url}'}}\n" if public_url else ""
        cfg = config_factory(db_url, "channels:\n  sl: {kind: slack, token: xoxb-test, channel: C1}\n"
                                     "  fs: {kind: feishu, webhook_url: 'https://open.feishu.example/hook/x'}\n"
                                     f"routes:\n  digest: [sl, fs]\ndigest: {{dir: {tmp_path / 'digests'}}}\n" + web)
        engine = make_engine(db_url)
        upgrade(engine)
        engines.append(engine)
        return cfg, session_factory(engine)

    engines = []
    yield make
    for e in engines:
        e.dispose()


def cards(cfg, factory):
    """The stored digest card rendered by the real Slack and Feishu formatting."""
    from alerts.base import Outbound
    from alerts.delivery import Deliverer
    from alerts.feishu import build_card
    from alerts.slack import build_message

    deliverer = Deliverer(cfg)
    with session_scope(factory) as s:
        rows = {m.channel: m for m in s.scalars(select(OutboxMessage))}
    out = {}
    for channel, fmt, flavour in (("sl", build_message, "slack"), ("fs", build_card, "feishu")):
        m = rows[channel]
        out[flavour] = fmt(Outbound(m.idempotency_key, m.kind, None, m.payload), deliverer.renderer(flavour))
    return out


def test_the_digest_card_in_slack_and_feishu(card_env, tmp_path):
    cfg, factory = card_env()
    add(factory, T, True, reposts=1500, text=HOSTILE, url="https://weibo.example/top")
    add(factory, T, True, reposts=40, url="javascript:alert(1)", text="第二条负面")
    add(factory, T, False)
    send_digests(cfg, factory, FixedClock(T + timedelta(days=1)))
    c = cards(cfg, factory)
    slack = c["slack"]
    header = slack["attachments"][0]["blocks"][0]["text"]["text"]
    body = "\n".join(b["text"]["text"] for b in slack["attachments"][0]["blocks"][1:] if b["type"] == "section")
    assert header == "【舆情日报】手镯之家 2026-03-10" and slack["text"] == header
    assert "提及 3 条，负面 2 条（66.7%），主要投诉：产品质量" in body
    assert "（转发 1,500）<https://weibo.example/top|原帖>" in body
    assert "&lt;script&gt;" in body and "<script>" not in body
    assert "第二条负面" in body and "javascript" not in body  # a post with a bad URL gets no link
    feishu = c["feishu"]
    content = feishu["elements"][0]["text"]["content"]
    assert feishu["header"]["title"]["content"] == header
    assert "[原帖](https://weibo.example/top)" in content and "javascript" not in content
    for text in (body, content):
        assert str(tmp_path) not in text and ".html" not in text  # no server file path
        assert "2026-03-10" in text and "日报" in text


def test_the_digest_card_links_the_console_page_when_public_url_is_set(card_env):
    cfg, factory = card_env("https://console.example")
    send_digests(cfg, factory, FixedClock(T + timedelta(days=1)))
    c = cards(cfg, factory)
    body = "\n".join(b["text"]["text"] for b in c["slack"]["attachments"][0]["blocks"][1:] if b["type"] == "section")
    assert "<https://console.example/digests/shouzhuo/2026-03-10|查看完整日报>" in body
    assert "[查看完整日报](https://console.example/digests/shouzhuo/2026-03-10)" in c["feishu"]["elements"][0]["text"]["content"]
