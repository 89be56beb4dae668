"""What every console handler shares, kept on ``app.state.console``, and the page renderer.

Handlers are plain module-level functions of the request; they reach the config, the
database, the clock and the templates through ``console_state(request)``, so one app
holds one config and database and several apps (as in the tests) never mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse

from monitor.clock import Clock
from monitor.config import Config
from monitor.presentation import cause_label, format_local, status_name, tier_name
from monitor.templating import html_environment
from monitor.web.throttle import LoginThrottle
from monitor.web.words import EVENT_LABELS, STEP_STATE_LABELS, WORDS


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

    def category_label(self, category: str) -> str:
        """A complaint category's name in the console's language."""
        return cause_label(category, self.lang)

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
    return format_local(value, tz, fmt)


def build_templates(config: Config, lang: str) -> Environment:
    """The console's Jinja2 environment (the shared HTML one: the config's template folder
    first, then the built-in one; autoescaped) with the console's labels in ``lang``."""
    templates = html_environment(config.resolve_path(config.templates.dir))
    words = WORDS[lang]
    templates.filters.update(local=lambda value, fmt="%m-%d %H:%M": local_time(value, config.tz, fmt))
    templates.globals.update(t=lambda key: words.get(key, key), lang=lang,
                             category_label=lambda c: cause_label(c, lang),
                             tier_label=lambda x: tier_name(x, lang),
                             status_label=lambda x: status_name(x, lang),
                             event_label=lambda x: EVENT_LABELS[lang].get(x, x),
                             step_state_label=lambda x: STEP_STATE_LABELS[lang].get(x, x))
    return templates
