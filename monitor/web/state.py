"""What every console handler shares, kept on ``app.state.console``, and the page renderer.

Handlers are plain module-level functions of the request; they reach the config, the
database, the clock and the templates through ``console_state(request)``, so one app
holds one config and database and several apps (as in the tests) never mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse

from alerts.render import safe_url
from monitor.clock import Clock
from monitor.clock_rules import fmt_duration
from monitor.config import Config
from monitor.digest import LABELS as CATEGORY_LABELS
from monitor.digest import STATUS_LABELS, TIER_LABELS
from monitor.web.throttle import LoginThrottle
from monitor.web.words import EVENT_LABELS, STEP_STATE_LABELS, TIER_COLOURS, WORDS

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class ConsoleState:
    """One console's config, database, clock, login token and throttle, language and templates."""

    config: Config
    factory: sessionmaker[Session]
    clock: Clock
    token: str
    throttle: LoginThrottle
    lang: str
    templates: Environment

    @property
    def words(self) -> dict[str, str]:
        """The console's words in its language."""
        return WORDS[self.lang]

    @property
    def category_labels(self) -> dict[str, str]:
        """Complaint category names in the console's language."""
        return CATEGORY_LABELS[self.lang]

    def local(self, value: Any, fmt: str = "%m-%d %H:%M") -> str:
        """A time in the config's time zone (``—`` for none)."""
        return local_time(value, self.config.tz, fmt)


def console_state(request: Request) -> ConsoleState:
    """The state of the app serving ``request``."""
    return request.app.state.console


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """The page ``web/<name>`` with the signed-in user, their CSRF token and the path added."""
    ctx.update(user=request.session.get("user"), csrf=request.session.get("csrf", ""), path=request.url.path)
    template = console_state(request).templates.get_template(f"web/{name}")
    return HTMLResponse(template.render(**ctx), status_code=status)


def local_time(value: Any, tz: ZoneInfo, fmt: str = "%m-%d %H:%M") -> str:
    """A datetime or ISO text shown in ``tz`` (``—`` for none)."""
    if not value:
        return "—"
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return dt.astimezone(tz).strftime(fmt)


def build_templates(config: Config, lang: str) -> Environment:
    """The console's Jinja2 environment: the config's template folder first, then the
    built-in one; autoescaped, with the console's filters and labels in ``lang``."""
    templates = Environment(
        loader=FileSystemLoader([str(config.resolve_path(config.templates.dir)), str(BUILTIN_TEMPLATES)]),
        autoescape=select_autoescape(["html"]),
    )
    words, category_labels = WORDS[lang], CATEGORY_LABELS[lang]
    templates.filters.update(local=lambda value, fmt="%m-%d %H:%M": local_time(value, config.tz, fmt),
                             duration=_duration, safe_url=_safe_link)
    templates.globals.update(tier_colours=TIER_COLOURS, t=lambda key: words.get(key, key), lang=lang,
                             category_label=lambda c: category_labels.get(c, c),
                             tier_label=lambda x: TIER_LABELS[lang].get(x, x),
                             status_label=lambda x: STATUS_LABELS[lang].get(x, x),
                             event_label=lambda x: EVENT_LABELS[lang].get(x, x),
                             step_state_label=lambda x: STEP_STATE_LABELS[lang].get(x, x))
    return templates


def _safe_link(url: Any) -> str | None:
    """A post's URL if it may be a link (http/https only), else None: stored posts come
    from the internet, and a ``javascript:`` URL in an href would run in the console."""
    return safe_url(url)


def _duration(seconds: Any) -> str:
    return fmt_duration(int(seconds)) if seconds is not None else "—"
