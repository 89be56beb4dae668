"""The PR team's web console (Starlette + the same Jinja2 templates).

Safe by default: every page needs a login with the token from the environment variable
``web.token_env``; the session cookie is signed, HttpOnly and SameSite=Strict; every
state-changing request carries the session's CSRF token; all post text is escaped by
Jinja2's autoescape. Acting on an incident calls the same function as the CLI
(``monitor.actions``), so its history records who and when the same way.

This module only assembles the app: the handlers are module-level functions in
``auth`` (login, logout), ``pages`` (what the team reads) and ``actions`` (what it
does), and reach the config, database, clock and templates through ``app.state``
(``monitor.web.state``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route

from monitor.clock import Clock, SystemClock
from monitor.config import Config
from monitor.web import actions, auth, pages
from monitor.web.state import ConsoleState, build_templates
from monitor.web.throttle import LoginThrottle
from monitor.web.words import console_language

MIN_TOKEN = 8

ROUTES = [
    Route("/login", auth.login, methods=["GET", "POST"]),
    Route("/logout", auth.logout, methods=["GET", "POST"]),
    Route("/", pages.incidents),
    Route("/incidents", pages.incidents),
    Route("/incidents/{id:int}", pages.incident),
    Route("/incidents/{id:int}/ack", actions.acknowledge, methods=["POST"]),
    Route("/incidents/{id:int}/step", actions.mark_step, methods=["POST"]),
    Route("/incidents/{id:int}/resolve", actions.resolve, methods=["POST"]),
    Route("/mentions", pages.mentions),
    Route("/digests", pages.digests),
    Route("/digests/{brand}/{day}", pages.digest_file),
    Route("/sources", pages.sources),
    Route("/config", pages.config_page),
    Route("/healthz", pages.health),
]


class WebConfigError(Exception):
    """The console cannot start (e.g. its token variable is not set)."""


def create_app(config: Config, factory: sessionmaker[Session], clock: Clock | None = None,
               env: dict[str, str] | None = None) -> Starlette:
    """The console app for one config and database."""
    token = login_token(config, os.environ if env is None else env)
    lang = console_language(config)
    # The session key derives from the token: changing the token logs everyone out.
    session_key = hmac.new(token.encode(), b"repmon-web-session", hashlib.sha256).hexdigest()
    middleware = [Middleware(SessionMiddleware, secret_key=session_key, session_cookie="repmon_session",
                             same_site="strict", https_only=bool(config.web.public_url and config.web.public_url.startswith("https")),
                             max_age=12 * 3600)]
    app = Starlette(routes=ROUTES, middleware=middleware)
    app.state.console = ConsoleState(config=config, factory=factory, clock=clock or SystemClock(), token=token,
                                     throttle=LoginThrottle(), lang=lang, templates=build_templates(config, lang))
    return app


def login_token(config: Config, environ: Mapping[str, str]) -> str:
    """The login token from ``web.token_env``; ``WebConfigError`` if unset or too short."""
    token = environ.get(config.web.token_env, "")
    if not token:
        raise WebConfigError(f"set the environment variable {config.web.token_env} to a login token "
                             f"({MIN_TOKEN}+ characters) before starting the console")
    if len(token) < MIN_TOKEN:
        raise WebConfigError(f"the login token in {config.web.token_env} is too short ({len(token)} characters; "
                             f"at least {MIN_TOKEN}): choose a longer one")
    return token
