"""Acting on an incident from the console: acknowledge, mark a step done, resolve.

Each is a POST with the session's CSRF token that calls ``monitor.actions.act`` (the same
function as the CLI, so the history and the delivery are the same) and sends the browser
back to the incident page with a one-line message.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.actions import act
from monitor.incidents import IncidentError
from monitor.web.auth import check_csrf, login_required
from monitor.web.state import console_state, render


@login_required
async def acknowledge(request: Request) -> Response:
    """POST /incidents/{id}/ack."""
    return await _act(request, "ack")


@login_required
async def mark_step(request: Request) -> Response:
    """POST /incidents/{id}/step with the form field ``step``."""
    return await _act(request, "step")


@login_required
async def resolve(request: Request) -> Response:
    """POST /incidents/{id}/resolve (delivers the closing summary)."""
    return await _act(request, "resolve")


async def _act(request: Request, action: str) -> Response:
    state = console_state(request)
    try:
        form = await check_csrf(request)
    except PermissionError as exc:
        return render(request, "error.html", status=403, message=str(exc))
    iid = int(request.path_params["id"])
    try:
        # The same record as the CLI: the bare name as actor, where it came from in the
        # detail. In a worker thread: a resolve delivers its summary before returning.
        outcome = await run_in_threadpool(act, state.config, state.factory, iid, action, actor=request.session["user"],
                                          via="web", now=state.clock.now(), step=str(form.get("step", "")))
    except IncidentError as exc:
        return _back(iid, str(exc))
    words = state.words
    if action == "ack" and not outcome.recorded:
        message = words["already_ack"].format(who=outcome.earlier_by or "?", at=state.local(outcome.earlier_at))
    elif action == "step" and not outcome.recorded:
        message = words["already_step"].format(at=state.local(outcome.earlier_at))
    else:
        message = words[f"msg_{action}"]
    return _back(iid, message)


def _back(incident_id: int, message: str) -> Response:
    """To the incident page, with ``message`` shown at the top."""
    return RedirectResponse(f"/incidents/{incident_id}?msg={quote(message[:200])}", status_code=303)
