"""How repmon shows its facts to people: the one definition of each. Pure.

Tier colours and names, cause (complaint category) names, incident status names, step
titles, durations, counts, local times and which URLs may become links. Alert texts
(``alerts.render``), the digest, the web console, the CLI and the templates (through the
environment :mod:`monitor.templating` builds) all read them from here, so a tier is
called and coloured the same wherever it shows up. Masking secrets (inside URLs too) is
:mod:`monitor.secrets`' job.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the config's pydantic models need not load for formatting
    from monitor.config import CheckpointConfig

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
# What is shown where a value is unknown (an incident never acknowledged, a source never run).
MISSING = "—"

# Keyed by tier; ``None`` is the colour of a notice without a tier (ops notices, the digest card).
TIER_COLOURS: dict[str | None, str] = {"yellow": "#d4a900", "orange": "#F28C28", "red": "#D93025", None: "#888888"}
TIER_NAMES = {
    "zh-CN": {"yellow": "黄色", "orange": "橙色", "red": "红色"},
    # Upper case: a tier reads as an alert level ("[RED] …", "Tier rose from ORANGE to RED").
    "en": {"yellow": "YELLOW", "orange": "ORANGE", "red": "RED"},
}

# The names as they read inside a sentence ("negative talk about product quality");
# :func:`cause_label` gives the form that stands alone (a table cell, a chart bar).
CAUSE_NAMES = {
    "zh-CN": {
        "product_quality": "产品质量", "logistics": "物流配送", "after_sales": "售后服务", "price": "价格促销",
        "website": "网站与App", "order_error": "订单错误", "other": "其他",
    },
    "en": {
        "product_quality": "product quality", "logistics": "logistics", "after_sales": "after-sales service",
        "price": "price and promotion", "website": "website and app", "order_error": "order errors", "other": "other",
    },
}

STATUS_NAMES = {
    "zh-CN": {"open": "待确认", "acknowledged": "已确认", "resolved": "已结束"},
    "en": {"open": "open", "acknowledged": "acknowledged", "resolved": "resolved"},
}


def locale_or_default(locale: str | None) -> str:
    """``locale`` if repmon speaks it, else the default (Chinese)."""
    return locale if locale in LOCALES else DEFAULT_LOCALE


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# The standalone form of every cause name: the same words, starting with a capital.
CAUSE_LABELS = {loc: {c: _capitalised(n) for c, n in names.items()} for loc, names in CAUSE_NAMES.items()}


def tier_colour(tier: str | None) -> str:
    """The colour of ``tier`` (grey for a notice without one, or an unknown tier)."""
    return TIER_COLOURS.get(tier, TIER_COLOURS[None])


def tier_name(tier: str | None, locale: str | None = DEFAULT_LOCALE) -> str:
    """The tier as people read it (``红色``, ``RED``); an unknown tier as it is, none as ``""``."""
    if not tier:
        return ""
    return TIER_NAMES[locale_or_default(locale)].get(tier, tier)


def cause_name(cause: str | None, locale: str | None = DEFAULT_LOCALE) -> str:
    """The cause as it reads inside a sentence (``产品质量``, ``product quality``); an
    unknown (configured) category as it is, none as ``""``."""
    if not cause:
        return ""
    return CAUSE_NAMES[locale_or_default(locale)].get(cause, cause)


def cause_label(cause: str | None, locale: str | None = DEFAULT_LOCALE) -> str:
    """The cause standing alone (``Product quality``); an unknown category as it is."""
    if not cause:
        return ""
    return CAUSE_LABELS[locale_or_default(locale)].get(cause, cause)


def status_name(status: str | None, locale: str | None = DEFAULT_LOCALE) -> str:
    """An incident status as people read it (``待确认``, ``open``)."""
    if not status:
        return ""
    return STATUS_NAMES[locale_or_default(locale)].get(status, status)


def step_title(cp: CheckpointConfig, locale: str | None = DEFAULT_LOCALE) -> str:
    """The title of a step of the four-hour clock in ``locale`` (the Chinese one when the
    step has no English title)."""
    return cp.title_en if locale == "en" and cp.title_en else cp.title


def format_duration(seconds: float | None) -> str:
    """A length of time as ``1 h 05 min`` or ``5 min`` (negative: overdue); ``—`` for unknown."""
    if seconds is None:
        return MISSING
    whole = int(seconds)
    sign = "-" if whole < 0 else ""
    h, rem = divmod(abs(whole), 3600)
    m = rem // 60
    return f"{sign}{h} h {m:02d} min" if h else f"{sign}{m} min"


def format_ago(then: datetime, now: datetime) -> str:
    """How long ago ``then`` was, coarsely: ``45s ago``, ``12 min ago``, ``3 h ago``."""
    seconds = int((now - then).total_seconds())
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def format_count(value: Any) -> str:
    """A count with thousands separators (``17,217``); what is not a number, as it is."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value or 0)


def format_local(value: datetime | str | None, tz: tzinfo, fmt: str = "%m-%d %H:%M", empty: str = MISSING) -> str:
    """A time (a datetime or ISO text) in the local zone ``tz``, as ``MM-DD HH:MM`` by
    default; ``empty`` when there is none; text that is no time, as it is."""
    if not value:
        return empty
    try:
        dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return dt.astimezone(tz).strftime(fmt)


# An http(s) URL without a character that could end the link markup it is put in.
_LINKABLE = re.compile(r"^https?://[^\s<>|()\[\]\"'`]+$", re.IGNORECASE)


def link_url(url: Any) -> str | None:
    """``url`` if it may become a link, else None: only http(s) URLs without characters that
    could break out of link markup (post URLs come from the internet; a ``javascript:``
    URL in an href would run in the console)."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    return u if _LINKABLE.match(u) else None
