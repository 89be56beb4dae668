"""The one definition of each shown fact (monitor.presentation), URL and config masking
(monitor.secrets) and the one Jinja environment builder (monitor.templating)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor import presentation as p
from monitor.config import CheckpointConfig
from monitor.secrets import MASKED_VALUE, mask_config, mask_url
from monitor.templating import BUILTIN_TEMPLATES, build_environment, html_environment, template_dirs

# ---------------------------------------------------------------------------- tiers, causes, statuses


@pytest.mark.parametrize("locale,names", [
    ("zh-CN", ["黄色", "橙色", "红色"]),
    ("en", ["YELLOW", "ORANGE", "RED"]),
    ("fr", ["黄色", "橙色", "红色"]),  # a locale repmon does not speak reads as the default
    (None, ["黄色", "橙色", "红色"]),
])
def test_tier_names_in_both_languages(locale, names):
    assert [p.tier_name(t, locale) for t in ("yellow", "orange", "red")] == names


def test_an_unknown_tier_shows_as_it_is_and_no_tier_as_nothing():
    assert p.tier_name("purple", "en") == "purple" and p.tier_name(None, "en") == ""


def test_every_tier_has_one_colour_and_a_notice_without_tier_is_grey():
    assert p.tier_colour("yellow") == "#d4a900" and p.tier_colour("orange") == "#F28C28" and p.tier_colour("red") == "#D93025"
    assert p.tier_colour(None) == p.tier_colour("purple") == "#888888"


def test_cause_names_read_inside_a_sentence_and_labels_stand_alone():
    assert p.cause_name("product_quality", "en") == "product quality"
    assert p.cause_label("product_quality", "en") == "Product quality"
    assert p.cause_label("after_sales", "en") == "After-sales service"
    # Chinese has no capitals: name and label are the same words.
    assert p.cause_name("logistics", "zh-CN") == p.cause_label("logistics", "zh-CN") == "物流配送"
    # A configured category repmon has no name for shows as its id; none shows as nothing.
    assert p.cause_name("packaging", "en") == p.cause_label("packaging", "en") == "packaging"
    assert p.cause_name(None) == p.cause_label("") == ""


def test_both_languages_name_the_same_causes_and_statuses():
    assert set(p.CAUSE_NAMES["zh-CN"]) == set(p.CAUSE_NAMES["en"]) == set(p.CAUSE_LABELS["en"])
    assert set(p.STATUS_NAMES["zh-CN"]) == set(p.STATUS_NAMES["en"]) == {"open", "acknowledged", "resolved"}
    assert p.status_name("open", "zh-CN") == "待确认" and p.status_name("open", "en") == "open"


def test_step_titles_fall_back_to_the_chinese_title():
    both = CheckpointConfig(step="contact", at=timedelta(hours=1), title="私信联系发帖人", title_en="Contact the poster privately")
    zh_only = CheckpointConfig(step="call", at=timedelta(hours=1), title="电话回访")
    assert p.step_title(both, "zh-CN") == "私信联系发帖人" and p.step_title(both, "en") == "Contact the poster privately"
    assert p.step_title(zh_only, "en") == "电话回访"


# ---------------------------------------------------------------------------- numbers and times


@pytest.mark.parametrize("seconds,shown", [
    (None, "—"), (0, "0 min"), (59, "0 min"), (60, "1 min"), (3599, "59 min"), (3600, "1 h 00 min"),
    (3900, "1 h 05 min"), (12_000, "3 h 20 min"), (90_000, "25 h 00 min"), (-300, "-5 min"), (-3900, "-1 h 05 min"),
    (3900.7, "1 h 05 min"),
])
def test_durations(seconds, shown):
    assert p.format_duration(seconds) == shown


@pytest.mark.parametrize("seconds,shown", [(5, "5s ago"), (119, "119s ago"), (120, "2 min ago"), (7199, "119 min ago"),
                                           (7200, "2 h ago"), (90_000, "25 h ago")])
def test_how_long_ago(seconds, shown):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
    assert p.format_ago(now - timedelta(seconds=seconds), now) == shown


@pytest.mark.parametrize("value,shown", [(17_217, "17,217"), ("1034", "1,034"), (0, "0"), (None, "0"), ("n/a", "n/a")])
def test_counts(value, shown):
    assert p.format_count(value) == shown


def test_local_times():
    tz = ZoneInfo("Asia/Shanghai")
    assert p.format_local("2026-03-10T01:30:00+00:00", tz) == "03-10 09:30"
    assert p.format_local(datetime(2026, 3, 10, 1, 30, tzinfo=timezone.utc), tz, "%H:%M") == "09:30"
    assert p.format_local(None, tz) == "—" and p.format_local("", tz, empty="") == ""
    assert p.format_local("not a time", tz) == "not a time"


# ---------------------------------------------------------------------------- URLs


@pytest.mark.parametrize("url,linked", [
    ("https://weibo.com/1/abc", "https://weibo.com/1/abc"),
    ("  http://example.com/x?a=1  ", "http://example.com/x?a=1"),
    ("javascript:alert(1)", None),
    ("https://evil.example/x\"onmouseover=alert(1)", None),
    ("https://x.example/a|b", None),
    ("https://x.example/<script>", None),
    ("ftp://x.example/file", None),
    (None, None),
    (42, None),
])
def test_only_plain_http_urls_become_links(url, linked):
    assert p.link_url(url) == linked


@pytest.mark.parametrize("text,masked", [
    ("postgresql+psycopg://app:pw@127.0.0.1:5432/repmon", "postgresql+psycopg://app:***@127.0.0.1:5432/repmon"),
    ("redis://:secret-pw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
    ("https://bob:typed-in-pw@feed.example/m.jsonl?token=t0k&page=2#top",
     "https://bob:***@feed.example/m.jsonl?token=***&page=2#top"),
    ("https://feed.example/m.jsonl?api_key=abc&q=a%20b", "https://feed.example/m.jsonl?api_key=***&q=a%20b"),
    ("fetch failed: https://x.example/?sig=s1 refused", "fetch failed: https://x.example/?sig=*** refused"),
    ("https://user@host.example/path", "https://user@host.example/path"),  # a user name alone is no secret
    ("sqlite:///data/repmon.db", "sqlite:///data/repmon.db"),
    ("no url here", "no url here"),
])
def test_url_masking(text, masked):
    assert mask_url(text) == masked


def test_the_config_page_masks_whole_secret_values_and_keeps_names():
    data = {"channels": {"s": {"kind": "slack", "token": "xoxb-1", "token_env": "SLACK_TOKEN"}},
            "sources": [{"id": "w", "cookies": {"SUB": "abc"}, "url": "https://u:pw@feed.example/?token=t&page=2"}],
            "database": {"url": "postgresql://app:pw@db/x"}}
    masked = mask_config(data)
    assert masked["channels"]["s"] == {"kind": "slack", "token": MASKED_VALUE, "token_env": "SLACK_TOKEN"}
    assert masked["sources"][0]["cookies"] == {"SUB": MASKED_VALUE}
    assert masked["sources"][0]["url"] == f"https://u:{MASKED_VALUE}@feed.example/?token={MASKED_VALUE}&page=2"
    assert masked["database"]["url"] == f"postgresql://app:{MASKED_VALUE}@db/x"
    assert data["channels"]["s"]["token"] == "xoxb-1"  # the config itself is untouched


# ---------------------------------------------------------------------------- the Jinja environment


def test_every_environment_has_the_shared_filters_and_globals(tmp_path: Path):
    env = html_environment(tmp_path)
    out = env.from_string(
        "{{ 3900|duration }}|{{ 17217|num }}|{{ 'javascript:x'|safe_url }}|{{ tier_colours.red }}|"
        "{{ tier_name('red', 'en') }}|{{ cause_label('logistics', 'en') }}|{{ status_name('open', 'zh-CN') }}"
    ).render()
    assert out == "1 h 05 min|17,217|None|#D93025|RED|Logistics|待确认"
    (tmp_path / "page.html").write_text("{{ v }}", encoding="utf-8")
    assert env.get_template("page.html").render(v="<b>") == "&lt;b&gt;"  # post text never becomes markup


def test_templates_come_from_the_configured_folder_first_then_the_shipped_ones(tmp_path: Path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "alert.j2").write_text("mine", encoding="utf-8")
    env = build_environment(tmp_path)
    assert template_dirs(tmp_path) == [tmp_path, BUILTIN_TEMPLATES]
    assert template_dirs(BUILTIN_TEMPLATES) == [BUILTIN_TEMPLATES]
    assert env.get_template("en/alert.j2").render() == "mine"
    assert "{{" in Path(env.get_template("zh-CN/alert.j2").filename).read_text(encoding="utf-8")


def test_a_template_cannot_recolour_the_tiers_for_everyone(tmp_path: Path):
    env = build_environment(tmp_path)
    env.from_string("{% set _ = tier_colours.update({'red': '#000'}) %}").render()
    assert p.TIER_COLOURS["red"] == "#D93025"
