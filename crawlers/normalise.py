"""Pure normalisers for what sources hand us: counts, times and HTML text.

Every function raises :class:`ValueError` with a short reason on input it cannot read,
so the pipeline can drop the item with a counted reason instead of guessing.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from w3lib.html import remove_tags, remove_tags_with_content, replace_entities

# ----------------------------------------------------------------------------- counts

_MULTIPLIERS = {
    "": 1,
    "k": 1_000,
    "千": 1_000,
    "w": 10_000,
    "万": 10_000,
    "m": 1_000_000,
    "百万": 1_000_000,
    "千万": 10_000_000,
    "亿": 100_000_000,
    "b": 1_000_000_000,
}
_COUNT_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(百万|千万|[kKwW万千亿mMbB]?)\s*\+?$")
# "1万2" is 1.2万 as Chinese readers say it; "1万2500" and "3亿5000万" add up literally.
_COMPOUND_RE = re.compile(r"^(\d+)(亿|万|千)(\d+(?:亿|万|千)?)$")
_GROUPED_RE = re.compile(r"\d[\d,，]*")
_THOUSANDS_RE = re.compile(r"^\d{1,3}([,，]\d{3})+$")
_COUNT_IN_TEXT = re.compile(r"(?<![\d.\-])\d+(?:\.\d+)?(?:百万|千万|[kKwW万千亿]|[mMbB](?![a-zA-Z]))?\+?(?![\d.])")


def parse_count(value: object) -> int:
    """A count as an int: ``1234``, ``"1,234"``, ``"1.2万"``, ``"100万+"``, ``"3亿"``, ``"1.5k"``,
    ``"1万2"`` (12 000, as Chinese readers mean it), ``"3亿5000万"``.

    None and empty strings are 0 (sources leave counts out when there are none);
    labels some sites show instead of zero (``"转发"``, ``"评论"``, ``"赞"``) are 0 too.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError("count is a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("negative count")
        return value
    if isinstance(value, float):
        if value != value or value < 0 or value == float("inf"):
            raise ValueError("count is not a finite non-negative number")
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"count of type {type(value).__name__}")
    s = value.strip().replace(" ", "")
    for group in _GROUPED_RE.findall(s):
        group = group.rstrip(",，")  # a comma after the number is punctuation
        # "1,234" is a thousands group; "1,2" is not a number anyone wrote on purpose.
        if ("," in group or "，" in group) and not _THOUSANDS_RE.match(group):
            raise ValueError("unreadable count (comma not between thousands)")
    s = s.replace(",", "").replace("，", "")
    if s in ("", "-", "转发", "评论", "赞", "点赞", "分享", "收藏"):
        return 0
    if compound := _COMPOUND_RE.match(s.removesuffix("+")):
        return _compound_count(*compound.groups())
    m = _COUNT_RE.match(s)
    if not m:
        # Labels around the number ("转发 1.2万", "1,234 reposts"): take the one number there is.
        found = _COUNT_IN_TEXT.findall(s)
        if len(found) != 1:
            raise ValueError("unreadable count")
        m = _COUNT_RE.match(found[0])
        if not m:
            raise ValueError("unreadable count")
    number, unit = m.groups()
    return int(round(float(number) * _MULTIPLIERS[unit.lower()]))


def _compound_count(head: str, unit: str, rest: str) -> int:
    big = _MULTIPLIERS[unit]
    if rest.isdigit() and len(rest) == 1:
        # One digit after the unit is the next unit down: 1万2 = 12 000, 3亿5 = 350 000 000.
        return int(head) * big + int(rest) * big // 10
    tail = parse_count(rest)
    if tail >= big:
        raise ValueError("unreadable count")
    return int(head) * big + tail


# ----------------------------------------------------------------------------- text

# Control characters would break terminals and message payloads: C0 but the blanks folded
# below, DEL, and C1 (U+0085 too: more often a mis-decoded "…" than a line break).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_WS_RE = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_NL_RE = re.compile(r"\s*\n\s*")
_BR_RE = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)


def clean_text(value: object) -> str:
    """Plain text from possibly-HTML input: tags stripped (scripts and styles with their
    content), entities unescaped (twice, as some feeds double-escape), control characters
    (C0 but line breaks and tabs, DEL, C1) removed, whitespace folded."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    s = _BR_RE.sub("\n", value)
    s = remove_tags_with_content(s, which_ones=("script", "style"))
    s = remove_tags(s)
    s = replace_entities(s)
    if "&" in s:
        s = html.unescape(s)
    # Removed before blanks are folded, so the blanks on either side of one fold too.
    s = _CONTROL_RE.sub("", s)
    s = _WS_RE.sub(" ", s)
    s = _NL_RE.sub("\n", s)
    return s.strip()


# ----------------------------------------------------------------------------- times

# Clocks disagree by a few minutes (the source's, ours, a remote scraper's); a time no
# further ahead of the fetch than this is taken as given, anything later is impossible.
FUTURE_SKEW = timedelta(minutes=10)

_REL_RE = re.compile(r"^(\d+)\s*(秒|分钟|小时|天|周|个月|月|年)前$")
_REL_EN_RE = re.compile(r"^(\d+)\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)\s*ago$", re.IGNORECASE)
_DAY_WORD_RE = re.compile(r"^(今天|昨天|前天)\s*(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_MD_RE = re.compile(r"^(\d{1,2})[-/月](\d{1,2})日?(?:\s+(\d{1,2}):(\d{2}))?$")
_YMD_RE = re.compile(r"^(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_WEIBO_RE = "%a %b %d %H:%M:%S %z %Y"

_UNIT = {
    "秒": timedelta(seconds=1),
    "分钟": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "天": timedelta(days=1),
    "周": timedelta(weeks=1),
    "月": timedelta(days=30),
    "个月": timedelta(days=30),
    "年": timedelta(days=365),
}


def _en_unit(word: str) -> timedelta:
    w = word.lower()
    if w.startswith("s"):
        return timedelta(seconds=1)
    if w.startswith("mi") or w == "m":
        return timedelta(minutes=1)
    if w.startswith("h"):
        return timedelta(hours=1)
    if w.startswith("d"):
        return timedelta(days=1)
    return timedelta(weeks=1)


def parse_time(value: object, *, now: datetime, tz: tzinfo | str = "Asia/Shanghai") -> datetime:
    """An aware UTC datetime from the many forms sources use.

    ``now`` is the fetch time (aware) that relative forms are resolved against; ``tz``
    is the zone of forms that carry none (``06-14``, ``昨天 12:30``, naive ISO).
    Accepted: datetime, epoch seconds or milliseconds (number or digits), ISO 8601,
    RFC 2822, Weibo's ``Sat Jun 15 11:44:46 +0800 2019``, ``刚刚``, ``5分钟前``,
    ``3 hours ago``, ``今天 12:30``, ``昨天 08:00``, ``前天 08:00``, ``06-14``,
    ``06-14 12:30``, ``2019-06-14``.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=zone).astimezone(timezone.utc)
    if isinstance(value, bool) or value is None:
        raise ValueError("missing time")
    if isinstance(value, (int, float)):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        raise ValueError(f"time of type {type(value).__name__}")
    s = value.strip()
    if not s:
        raise ValueError("missing time")
    if re.fullmatch(r"\d{9,13}(\.\d+)?", s):
        return _from_epoch(float(s))
    local_now = now.astimezone(zone)
    if s in ("刚刚", "刚才", "just now", "now"):
        return now.astimezone(timezone.utc)
    if m := _REL_RE.match(s):
        return (now - int(m.group(1)) * _UNIT[m.group(2)]).astimezone(timezone.utc)
    if m := _REL_EN_RE.match(s):
        return (now - int(m.group(1)) * _en_unit(m.group(2))).astimezone(timezone.utc)
    if m := _DAY_WORD_RE.match(s):
        back = {"今天": 0, "昨天": 1, "前天": 2}[m.group(1)]
        day = local_now.date() - timedelta(days=back)
        t = datetime(day.year, day.month, day.day, int(m.group(2)), int(m.group(3)), int(m.group(4) or 0), tzinfo=zone)
        return t.astimezone(timezone.utc)
    if m := _YMD_RE.match(s):
        y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        return datetime(y, mo, d, hh, mm, ss, tzinfo=zone).astimezone(timezone.utc)
    if m := _MD_RE.match(s):
        mo, d = int(m.group(1)), int(m.group(2))
        hh, mm = int(m.group(3) or 0), int(m.group(4) or 0)
        t = datetime(local_now.year, mo, d, hh, mm, tzinfo=zone)
        if t.date() > local_now.date() or t > local_now + FUTURE_SKEW:
            # A post cannot be from the future: "12-30" seen on 2 January, or "06-16"
            # seen on 15 June, is last year's.
            t = t.replace(year=local_now.year - 1)
        return t.astimezone(timezone.utc)
    try:
        return datetime.strptime(s, _WEIBO_RE).astimezone(timezone.utc)
    except ValueError:
        pass
    try:
        iso = s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s
        t = datetime.fromisoformat(iso)
        return (t if t.tzinfo else t.replace(tzinfo=zone)).astimezone(timezone.utc)
    except ValueError:
        pass
    try:
        t = parsedate_to_datetime(s)
        return (t if t.tzinfo else t.replace(tzinfo=zone)).astimezone(timezone.utc)
    except (TypeError, ValueError, IndexError):
        pass
    raise ValueError("unreadable time")


def _from_epoch(x: float) -> datetime:
    if x != x or x < 0:
        raise ValueError("unreadable epoch time")
    # Milliseconds since 1970 pass 1e11 in 1973; seconds will not reach it for millennia.
    seconds = x / 1000 if x >= 1e11 else x
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError("epoch time out of range") from None


def parse_bool(value: object) -> bool | None:
    """Verified flags come as bools, 0/1 or strings ("true", "是")."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    s = str(value).strip().lower()
    if s in ("1", "true", "yes", "y", "是", "t"):
        return True
    if s in ("0", "false", "no", "n", "否", "f", "none", "null"):
        return False
    raise ValueError("unreadable flag")
