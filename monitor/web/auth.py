"""Signing in and out of the console, the login guard and the CSRF check.

Every page needs a login with the token from ``web.token_env``; every state-changing
request carries the session's CSRF token (made at login, kept in the signed session).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from monitor.web.state import console_state, render

Handler = Callable[[Request], Awaitable[Response]]


def login_required(handler: Handler) -> Handler:
    """``handler`` for signed-in users; anyone else is sent to the login page and back."""

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        if not request.session.get("user"):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return await handler(request)

    return wrapped


async def check_csrf(request: Request) -> dict[str, Any]:
    """The posted form, if it carries the session's CSRF token; else ``PermissionError``."""
    form = dict(await request.form())
    sent = str(form.get("csrf", ""))
    if not sent or not hmac.compare_digest(sent, request.session.get("csrf", "")):
        raise PermissionError("CSRF token missing or wrong")
    return form


async def login(request: Request) -> Response:
    """GET: the login form. POST: a name and the token sign in (a new session and CSRF
    token) and go back to ``next``; failures count against the address (429 when used up)."""
    state = console_state(request)
    nxt = request.query_params.get("next", "/")
    if request.method == "GET":
        return render(request, "login.html", next=nxt, error=None)
    client = request.client.host if request.client else "?"
    now = state.clock.now()
    if state.throttle.blocked(client, now):
        response = render(request, "login.html", status=429, next=nxt, error=state.words["too_many_logins"])
        response.headers["Retry-After"] = str(int(state.throttle.window.total_seconds()))
        return response
    form = dict(await request.form())
    name = str(form.get("name", "")).strip()[:64]
    given = str(form.get("token", ""))
    if not name or not hmac.compare_digest(given.encode(), state.token.encode()):
        state.throttle.failed(client, now)
        return render(request, "login.html", status=401, next=nxt, error=state.words["login_failed"])
    state.throttle.succeeded(client)
    request.session.clear()
    request.session.update(user=name, csrf=secrets.token_urlsafe(24))
    target = str(form.get("next") or "/")
    # Only a path on this site: ``next`` must not send a fresh login to another host.
    return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/", status_code=303)


async def logout(request: Request) -> Response:
    """GET: a confirmation form. POST with the CSRF token: end the session."""
    # Only a POST with the session's CSRF token logs out: a GET (a link or an image on
    # another site) must not be able to end someone's session.
    if request.method == "GET":
        if not request.session.get("user"):
            return RedirectResponse("/login", status_code=303)
        return render(request, "logout.html")
    try:
        await check_csrf(request)
    except PermissionError:
        return HTMLResponse("forbidden", status_code=403)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
