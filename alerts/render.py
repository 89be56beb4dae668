"""Rendering notifications with the Jinja2 templates in ``templates/``.

Templates are looked up as ``<locale>/<tier>/<name>.j2`` first, then ``<locale>/<name>.j2``
(locale ``zh-CN`` or ``en``), where ``name`` is the notification kind (``alert``,
``escalation``, ``reminder``, ``deadline_missed``, ``status_update``, ``resolved``,
``ops_notice``, ``digest``) or ``statement`` (the draft response statement).

Untrusted text can never become markup: the environment is sandboxed, and *every*
``{{ … }}`` output is escaped — a template author cannot forget it. The first line is
the title and goes into plain-text fields, so its values are escaped as plain text; the
body's values are escaped for the target flavour (Slack mrkdwn, Feishu card markdown, or
plain text). Only values made by :func:`link` and the ``mention_all`` variable pass
unescaped, and only in the body.
Rendering is bounded while it runs (see :mod:`alerts.sandbox`) and the output stops at
``delivery.max_message_chars``.

Variables: the notification context (README "Templates" lists them all, with the
fields inside ``changes`` and the ``digest`` card's own), plus what the renderer adds:
``kind``, ``locale``, ``cause_label``, ``tier_label``, ``tier_labels``,
``previous_tier_label``, ``next_tier`` / ``next_tier_label``, ``incident_url`` and
``mention_all``. Filters: ``local`` (ISO time → local ``MM-DD HH:MM``) and ``short(n)``,
plus what every repmon environment has (:mod:`monitor.templating`): ``duration``
(seconds → ``1 h 05 min``), ``num``, ``safe_url`` and the presentation globals.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Undefined

from alerts.sandbox import BoundedEnvironment, check_size
from monitor.presentation import TIER_NAMES, cause_name, format_local, link_url, locale_or_default
from monitor.templating import build_environment

log = logging.getLogger(__name__)

TITLE_CHARS = 200


class Safe(str):
    """Text already in the target flavour (made by :func:`link`); not escaped again.

    ``plain`` is the same thing as plain text, for the title (a plain-text field).
    """

    plain: str = ""

    def __new__(cls, value: str, plain: str | None = None) -> "Safe":
        obj = super().__new__(cls, value)
        obj.plain = value if plain is None else plain
        return obj


# ---------------------------------------------------------------------------- escaping

_SLACK_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ZERO_WIDTH = "\u200b"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_URL = re.compile(r"https?://", re.IGNORECASE)


def _defang_urls(text: str) -> str:
    # A bare URL in post text would be turned into a live link by Slack and Feishu;
    # a zero-width space after the scheme keeps it readable but not clickable.
    return _URL.sub(lambda m: m.group(0)[:-2] + _ZERO_WIDTH + "//", text)


def escape_slack(text: str) -> str:
    """Slack mrkdwn: ``& < >`` escaped (so ``<!channel>``, ``<@U1>``, ``<url|x>`` are inert),
    formatting characters and bare URLs defused."""
    s = _CONTROL.sub("", text).translate(_SLACK_SPECIAL)
    s = re.sub(r"([*_~`])", lambda m: m.group(1) + _ZERO_WIDTH, s)
    s = re.sub(r"@(channel|here|everyone)", "@" + _ZERO_WIDTH + r"\1", s, flags=re.IGNORECASE)
    return _defang_urls(s)


# Feishu's card markdown does not honour backslash escapes (they show as stray
# backslashes); its documented way to show a markup character is an HTML entity.
_FEISHU_ENTITIES = str.maketrans({"<": "&#60;", ">": "&#62;"})
_FEISHU_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")


def escape_feishu(text: str) -> str:
    """Feishu card markdown (lark_md): ``<`` ``>`` as HTML entities (so ``<at id=all>``,
    ``<font>`` and ``<a>`` are inert text), ``](`` broken so ``[x](url)`` is no link, an
    ``&`` that would start an entity broken, emphasis characters defused, bare URLs and
    ``@all`` defused. The text reads the same: no backslashes appear."""
    s = _CONTROL.sub("", text)
    s = _FEISHU_ENTITY_LIKE.sub("&" + _ZERO_WIDTH, s)
    s = s.translate(_FEISHU_ENTITIES)
    s = s.replace("](", "]" + _ZERO_WIDTH + "(")
    s = re.sub(r"([*_~`])", lambda m: m.group(1) + _ZERO_WIDTH, s)
    s = re.sub(r"@(all|所有人)", "@" + _ZERO_WIDTH + r"\1", s, flags=re.IGNORECASE)
    return _defang_urls(s)


# A terminal also obeys the 8-bit C1 controls (U+009B is CSI, the start of an escape sequence).
_PLAIN_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_plain(text: str) -> str:
    """Plain text (titles, console, file): control characters (C0 but newline and tab, DEL,
    C1) removed, nothing else."""
    return _PLAIN_CONTROL.sub("", text)


FLAVOURS = {"slack": escape_slack, "feishu": escape_feishu, "plain": escape_plain}


# ---------------------------------------------------------------------------- environment


@dataclass(frozen=True)
class Rendered:
    """One notification rendered for one flavour."""

    title: str
    body: str
    statement: str | None


class Renderer:
    """Renders notification contexts with the templates of one folder, for one flavour."""

    def __init__(self, templates_dir: Path, flavour: str = "plain", *, max_chars: int = 6000, timezone: str = "Asia/Shanghai",
                 public_url: str | None = None):
        self.flavour = flavour
        self.escape = FLAVOURS[flavour]
        self.max_chars = max_chars
        self.tz = ZoneInfo(timezone)
        self.public_url = public_url.rstrip("/") if public_url else None
        self.env = build_environment(
            templates_dir,
            environment=BoundedEnvironment,
            finalize=self._finalize,
            undefined=Undefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        # duration, num and safe_url come with every environment (monitor.templating).
        self.env.filters.update(local=self._local, short=_short)
        self.env.guard_filters()
        self.env.globals.update(link=self._link)

    # Every {{ expression }} passes through here. The value is only marked here; it is
    # escaped once the title (plain text) and the body (the channel's flavour) are known.
    def _finalize(self, value: Any) -> Any:
        if isinstance(value, Safe):
            return f"{_SAFE_OPEN}{_unmark(value)}{_SAFE_SEP}{_unmark(value.plain)}{_SAFE_CLOSE}"
        if value is None or isinstance(value, Undefined):
            return ""
        return f"{_VALUE_OPEN}{_unmark(str(check_size(value, 'an output value')))}{_VALUE_CLOSE}"

    def _link(self, url: Any, label: Any) -> Safe:
        u = link_url(url)
        text = self.escape(str(label))
        plain = escape_plain(str(label))
        if u is None:
            return Safe(text, plain)
        if self.flavour == "slack":
            return Safe(f"<{u}|{text.replace('|', '¦')}>", f"{plain} ({u})")
        if self.flavour == "feishu":
            return Safe(f"[{text}]({u})", f"{plain} ({u})")
        return Safe(f"{text} ({u})", f"{plain} ({u})")

    def _local(self, iso: Any, fmt: str = "%m-%d %H:%M") -> str:
        return format_local(iso, self.tz, fmt, empty="")

    def _template(self, locale: str, tier: str | None, name: str):
        names = []
        if tier:
            names.append(f"{locale}/{tier}/{name}.j2")
        names.append(f"{locale}/{name}.j2")
        if locale != "zh-CN":
            names += [f"zh-CN/{tier}/{name}.j2"] if tier else []
            names.append(f"zh-CN/{name}.j2")
        return self.env.select_template(names)

    def variables(self, payload: dict[str, Any]) -> dict[str, Any]:
        ctx = dict(payload.get("context") or {})
        brand = ctx.get("brand") or {}
        locale = brand.get("locale") or "zh-CN"
        ctx.setdefault("tier", payload.get("tier"))
        # In alert texts the cause sits inside a sentence ("negative talk about product quality").
        ctx["cause_label"] = cause_name(ctx.get("cause"), locale)
        labels = TIER_NAMES[locale_or_default(locale)]
        ctx["tier_labels"] = dict(labels)
        ctx["tier_label"] = labels.get(ctx.get("tier"), "")
        if ctx.get("previous_tier"):
            ctx["previous_tier_label"] = labels.get(ctx["previous_tier"], ctx["previous_tier"])
        # A missed deadline also goes to the next tier's route; red has none above it.
        also = list(payload.get("also_tiers") or [])
        ctx["next_tier"] = also[0] if also else None
        ctx["next_tier_label"] = labels.get(also[0], also[0]) if also else ""
        iid = payload.get("incident_id") or ctx.get("incident_id")
        ctx["incident_url"] = f"{self.public_url}/incidents/{iid}" if self.public_url and iid else None
        ctx["kind"] = payload.get("kind")
        ctx["locale"] = locale
        return ctx

    def render(self, payload: dict[str, Any], *, mention_all: str = "") -> Rendered:
        """Title, body and (for incident alerts) the draft statement of a stored notification.

        The title is plain text (it goes into plain-text fields: Slack's header and
        notification text, Feishu's card header); body and statement are in the
        renderer's flavour.
        """
        ctx = self.variables(payload)
        # A ping works only in the body; in a plain-text title it would show as markup.
        ctx["mention_all"] = Safe(mention_all, "")
        locale, tier, kind = ctx["locale"], ctx.get("tier"), payload.get("kind") or "alert"
        # Title, newline, body: more than that is never shown, so rendering stops there.
        limit = TITLE_CHARS + 1 + self.max_chars
        try:
            marked, more = self.env.render_bounded(self._template(locale, tier, kind), ctx, limit, _shown_size)
        except Exception as exc:  # any failure of a staff-edited template, not only TemplateError
            # A broken template must not swallow an alert: send the essentials instead.
            log.error("template for %s/%s/%s failed: %s", locale, tier, kind, exc)
            marked, more = self._fallback(ctx, kind, exc), False
        title, body = self._compose(marked, split_title=True)
        statement = None
        if kind in ("alert", "escalation") and tier:
            try:
                marked, s_more = self.env.render_bounded(self._template(locale, tier, "statement"), ctx, self.max_chars,
                                                          _shown_size)
                statement = self._cap_body(self._compose(marked, split_title=False)[1], s_more)
            except Exception as exc:
                log.error("statement template for %s/%s failed: %s", locale, tier, exc)
                statement = None
        return Rendered(_cap_plain(title, TITLE_CHARS), self._cap_body(body, more), statement)

    def _compose(self, marked: str, *, split_title: bool) -> tuple[str, str]:
        """(title, body) of marked template output: the first line with content is the
        title, in plain text; the rest is the body, with values escaped for the flavour."""
        title: list[str] = []
        body: list[str] = []
        in_title = split_title
        for kind, text, plain in _pieces(marked):
            if kind == "safe":
                (title if in_title else body).append(plain if in_title else text)
                continue
            while in_title and text:
                head, newline, text = text.partition("\n")
                title.append(head if kind == "text" else escape_plain(head))
                if newline and "".join(title).strip():
                    in_title = False
            if text:
                body.append(text if kind == "text" else self.escape(text))
        return "".join(title).strip(), "".join(body).strip()

    def _cap_body(self, text: str, more: bool = False) -> str:
        """``text`` within ``max_chars``, ending in "…" when anything was cut, without half
        an entity or half a link left at the cut."""
        if len(text) <= self.max_chars and not more:
            return text
        cut = text[: self.max_chars - 1]
        if self.flavour != "plain":
            cut = _PARTIAL_MARKUP.sub("", cut)
        return cut + "…"

    def _fallback(self, ctx: dict[str, Any], kind: str, exc: Exception) -> str:
        brand = (ctx.get("brand") or {}).get("name", "")
        lines = [
            f"[{kind}] {brand} #{ctx.get('incident_id', '')} {ctx.get('tier') or ''} {ctx.get('cause') or ''}",
            f"negative volume: {ctx.get('negative_volume', '')}",
        ]
        for p in (ctx.get("top_posts") or [])[:3]:
            lines.append(f"- {_short(p.get('text'), 100)} ({p.get('reposts', 0)} reposts)")
        lines += [f"{k}: {v}" for k, v in (("title", ctx.get("title")),) if v]
        lines += [str(x) for x in (ctx.get("lines") or [])]
        lines.append(f"(template error: {exc.__class__.__name__}: {_short(exc, 200)}; fix the template in templates/)")
        # Every line may carry post text: all of it is marked as untrusted.
        return "\n".join(f"{_VALUE_OPEN}{_unmark(str(x))}{_VALUE_CLOSE}" for x in lines)


# Template output marks where each {{ value }} starts and ends (private-use characters,
# removed from the values themselves), so values are escaped after the fact, differently
# in the title and the body.
_VALUE_OPEN, _VALUE_CLOSE = "\ue000", "\ue001"
_SAFE_OPEN, _SAFE_SEP, _SAFE_CLOSE = "\ue002", "\ue003", "\ue004"
_MARKERS = re.compile("[\ue000-\ue004]")
_PIECE = re.compile("\ue000([^\ue000-\ue004]*)\ue001|\ue002([^\ue000-\ue004]*)\ue003([^\ue000-\ue004]*)\ue004")
_PARTIAL_MARKUP = re.compile(r"(&#?\w*|<[^<>\n]*|\[[^\[\]\n]*\]\([^()\n]*)$")


def _unmark(text: str) -> str:
    return _MARKERS.sub("", text)


def _shown_size(chunk: str) -> int:
    return len(chunk) - len(_MARKERS.findall(chunk))


def _pieces(marked: str) -> Iterator[tuple[str, str, str]]:
    """(kind, text, plain) in order: ``text`` (the template's own), ``value`` (untrusted)
    or ``safe`` (markup, with its plain form)."""
    pos = 0
    for m in _PIECE.finditer(marked):
        if m.start() > pos:
            yield "text", _unmark(marked[pos:m.start()]), ""
        if m.group(1) is not None:
            yield "value", m.group(1), ""
        else:
            yield "safe", m.group(2), m.group(3)
        pos = m.end()
    rest = marked[pos:]
    if not rest:
        return
    # Output cut at the size cap can end inside a value: its tail is still untrusted,
    # and half a link is dropped.
    cut = _MARKERS.search(rest)
    if cut is None:
        yield "text", rest, ""
        return
    yield "text", rest[:cut.start()], ""
    if cut.group() == _VALUE_OPEN:
        yield "value", _unmark(rest[cut.end():]), ""


def _cap_plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value: Any, n: int = 120) -> str:
    s = " ".join(str(value or "").split())
    return s if len(s) <= n else s[: n - 1] + "…"
