from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crawlers.normalise import clean_text, parse_bool, parse_count, parse_time

CST = timezone(timedelta(hours=8))
# Fetch time: 2026-06-15 10:00 in Shanghai.
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "raw,expected",
    [
        (1234, 1234), ("1,234", 1234), ("1.2万", 12_000), ("100万+", 1_000_000), ("3亿", 300_000_000),
        ("1.5k", 1500), ("1.5K", 1500), ("2w", 20_000), (" 42 ", 42), ("", 0), (None, 0), ("转发", 0),
        (3.0, 3), ("1万", 10_000),
    ],
)
def test_counts_are_read_from_numbers_and_chinese_or_english_abbreviations(raw, expected):
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["many", "-5", "1.2.3万", True, [], -1])
def test_unreadable_counts_are_errors_not_guesses(raw):
    with pytest.raises(ValueError):
        parse_count(raw)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("2026-06-14T08:30:00+08:00", datetime(2026, 6, 14, 0, 30, tzinfo=timezone.utc)),
        ("2026-06-14T00:30:00Z", datetime(2026, 6, 14, 0, 30, tzinfo=timezone.utc)),
        ("2026-06-14 08:30:00", datetime(2026, 6, 14, 0, 30, tzinfo=timezone.utc)),  # naive = source zone
        (1781397000, datetime(2026, 6, 14, 0, 30, tzinfo=timezone.utc)),
        (1781397000000, datetime(2026, 6, 14, 0, 30, tzinfo=timezone.utc)),
        ("1781397000", datetime(2026, 6, 14, 0, 30, tzinfo=timezone.utc)),
        ("Sun, 14 Jun 2026 00:30:00 GMT", datetime(2026, 6, 14, 0, 30, tzinfo=timezone.utc)),
        ("Sat Jun 15 11:44:46 +0800 2019", datetime(2019, 6, 15, 3, 44, 46, tzinfo=timezone.utc)),
        ("刚刚", NOW),
        ("5分钟前", NOW - timedelta(minutes=5)),
        ("3小时前", NOW - timedelta(hours=3)),
        ("2 hours ago", NOW - timedelta(hours=2)),
        ("今天 09:15", datetime(2026, 6, 15, 1, 15, tzinfo=timezone.utc)),
        ("昨天 12:30", datetime(2026, 6, 14, 4, 30, tzinfo=timezone.utc)),
        ("前天 08:00", datetime(2026, 6, 13, 0, 0, tzinfo=timezone.utc)),
        ("06-14", datetime(2026, 6, 13, 16, 0, tzinfo=timezone.utc)),
        ("06-14 12:30", datetime(2026, 6, 14, 4, 30, tzinfo=timezone.utc)),
        ("2019-06-14", datetime(2019, 6, 13, 16, 0, tzinfo=timezone.utc)),
    ],
)
def test_times_in_every_source_form_are_stored_in_utc(raw, expected):
    got = parse_time(raw, now=NOW, tz="Asia/Shanghai")
    assert got == expected and got.tzinfo == timezone.utc


def test_a_month_day_later_than_today_is_last_year():
    now = datetime(2026, 1, 2, 4, 0, tzinfo=timezone.utc)
    assert parse_time("12-30", now=now, tz="Asia/Shanghai").year == 2025


def test_yesterday_is_resolved_in_the_source_zone_not_utc():
    # 2026-06-15 01:00 Shanghai is still 06-14 in UTC; "昨天" means 06-14 in Shanghai.
    now = datetime(2026, 6, 14, 17, 0, tzinfo=timezone.utc)
    assert parse_time("昨天 08:00", now=now, tz="Asia/Shanghai") == datetime(2026, 6, 14, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw", ["", "yesterday-ish", "99-99", None, "13:61"])
def test_unreadable_times_are_errors(raw):
    with pytest.raises(ValueError):
        parse_time(raw, now=NOW)


def test_html_is_stripped_entities_unescaped_and_whitespace_folded():
    raw = '<p>手镯&amp;之家 <a href="x">断裂</a>了&nbsp;&nbsp;!</p><script>alert(1)</script><br>第二行'
    assert clean_text(raw) == "手镯&之家 断裂了 !\n第二行"


def test_double_escaped_entities_and_control_characters_are_cleaned():
    assert clean_text("a &amp;lt;b&amp;gt; \x00\x07c") == "a <b> c"


def test_verified_flags_come_in_many_spellings():
    assert parse_bool("true") is True and parse_bool(1) is True and parse_bool("是") is True
    assert parse_bool("0") is False and parse_bool(None) is None


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("06-16", datetime(2025, 6, 15, 16, 0, tzinfo=timezone.utc)),  # tomorrow's date: last year's post
        ("06-15 12:30", datetime(2025, 6, 15, 4, 30, tzinfo=timezone.utc)),  # later today: last year's too
        ("06-15 09:00", datetime(2026, 6, 15, 1, 0, tzinfo=timezone.utc)),  # earlier today: this year
        ("06-15 10:05", datetime(2026, 6, 15, 2, 5, tzinfo=timezone.utc)),  # minutes ahead: clock skew, this year
    ],
)
def test_a_month_day_that_would_lie_in_the_future_is_last_year(raw, expected):
    assert parse_time(raw, now=NOW, tz="Asia/Shanghai") == expected


@pytest.mark.parametrize(
    "raw,expected",
    [("1万2", 12_000), ("3万5", 35_000), ("1万2千", 12_000), ("1万2500", 12_500), ("3亿5", 350_000_000),
     ("3亿5000万", 350_000_000), ("1万2+", 12_000), ("12,345,678", 12_345_678), ("转发 1,234", 1234)],
)
def test_compound_chinese_counts_and_thousands_groups_read_as_people_mean_them(raw, expected):
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["1,2", "12,34", "1,2345", "1万2万", "2万3亿"])
def test_a_comma_that_is_not_a_thousands_separator_is_an_unreadable_count(raw):
    with pytest.raises(ValueError):
        parse_count(raw)
