"""The console's pages: incidents, one incident, mentions, digests, sources, config, health.

Each handler only reads; acting on an incident is in ``monitor.web.actions``.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from alerts.render import Renderer
from monitor.categories import DEFAULT_CATEGORIES, OTHER
from monitor.config import Config
from monitor.db import session_scope
from monitor.digest import day_bounds
from monitor.incidents import IncidentError, context_for, get_incident, incident_dict
from monitor.models import Incident
from monitor.source_health import source_health
from monitor.store import mentions_query
from monitor.web.auth import login_required
from monitor.web.config_view import masked_config
from monitor.web.state import console_state, render

PAGE = 50


@login_required
async def incidents(request: Request) -> Response:
    """Open incidents, newest first (``?all=1``: every incident; at most 200)."""
    state = console_state(request)
    now = state.clock.now()
    show_all = request.query_params.get("all") == "1"
    with session_scope(state.factory) as s:
        q = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(200)
        if not show_all:
            q = q.where(Incident.status != "resolved")
        rows = [incident_dict(i, state.config, now) for i in s.scalars(q)]
    return render(request, "incidents.html", incidents=rows, show_all=show_all)


@login_required
async def incident(request: Request) -> Response:
    """One incident: clock, steps, evidence, history and the draft statement."""
    state = console_state(request)
    config, now = state.config, state.clock.now()
    try:
        iid = int(request.path_params["id"])
        with session_scope(state.factory) as s:
            inc = get_incident(s, iid)
            d = incident_dict(inc, config, now, events=True)
            ctx = context_for(inc, config, now)
    except (IncidentError, ValueError):
        return render(request, "error.html", status=404, message="no such incident")
    statement = _statement(config, inc.id, inc.tier, ctx)
    return render(request, "incident.html", i=d, statement=statement, steps=config.incidents.checkpoints,
                  message=request.query_params.get("msg"))


@login_required
async def mentions(request: Request) -> Response:
    """Stored mentions, newest first, filtered by brand, source, category, day and
    negativity, 50 a page."""
    state = console_state(request)
    config = state.config
    qp = request.query_params
    filters = {k: qp.get(k) or None for k in ("brand", "source", "category", "date")}
    negative = qp.get("negative") == "1"
    since = until = None
    if filters["date"]:
        try:
            since, until = day_bounds(date.fromisoformat(filters["date"]), config.tz)
        except ValueError:
            filters["date"] = None
    try:
        page_no = max(1, int(qp.get("page", "1")))
    except ValueError:
        page_no = 1
    q = mentions_query(brand=filters["brand"], negative=True if negative else None, since=since, until=until,
                       source_id=filters["source"], category=filters["category"])
    with session_scope(state.factory) as s:
        total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
        rows = [m.as_dict() for m in s.scalars(q.limit(PAGE).offset((page_no - 1) * PAGE))]
    pages = max(1, math.ceil(total / PAGE))

    def page_link(n: int) -> str:
        params = {k: v for k, v in filters.items() if v}
        if negative:
            params["negative"] = "1"
        return "?" + urlencode({**params, "page": n})

    known = known_categories(config)
    categories = [(c, state.category_label(c)) for c in known]
    if filters["category"] and filters["category"] not in known:
        categories.append((filters["category"], filters["category"]))
    return render(request, "mentions.html", rows=rows, total=total, page=page_no, pages=pages, filters=filters,
                  negative=negative, brands=[(b.id, b.name) for b in config.brands], sources=[x.id for x in config.sources],
                  categories=categories, page_link=page_link)


@login_required
async def digests(request: Request) -> Response:
    """The archive of daily digests, newest first (at most 400)."""
    root = _digest_root(console_state(request).config)
    files = sorted(root.glob("*/*.html"), key=lambda p: (p.stem, p.parent.name), reverse=True) if root.is_dir() else []
    return render(request, "digests.html", files=[{"brand": f.parent.name, "date": f.stem} for f in files[:400]])


@login_required
async def digest_file(request: Request) -> Response:
    """One stored digest; only a configured brand and a real date name a file."""
    config = console_state(request).config
    brand, day = request.path_params["brand"], request.path_params["day"]
    try:
        date.fromisoformat(day)
    except ValueError:
        return render(request, "error.html", status=404, message="no such digest")
    if brand not in {b.id for b in config.brands}:
        return render(request, "error.html", status=404, message="no such digest")
    path = _digest_root(config) / brand / f"{day}.html"
    if not path.is_file():
        return render(request, "error.html", status=404, message="no such digest")
    return FileResponse(path, media_type="text/html; charset=utf-8")


@login_required
async def sources(request: Request) -> Response:
    """Each source's health: last run, last success, items, last error."""
    state = console_state(request)
    with session_scope(state.factory) as s:
        rows = source_health(s, state.config)
    return render(request, "sources.html", rows=rows)


@login_required
async def config_page(request: Request) -> Response:
    """The config as YAML with every secret masked."""
    masked = masked_config(console_state(request).config)
    return render(request, "config.html", text=yaml.safe_dump(masked, allow_unicode=True, sort_keys=False))


async def health(request: Request) -> Response:
    """``ok``, without a login: for a load balancer or uptime check."""
    return Response("ok", media_type="text/plain")


def known_categories(config: Config) -> list[str]:
    """The complaint categories the scorer can assign, in the configured order, then ``other``."""
    configured = list(config.scoring.categories or DEFAULT_CATEGORIES)
    return configured + ([OTHER] if OTHER not in configured else [])


def _digest_root(config: Config) -> Path:
    return config.resolve_path(config.digest.dir)


def _statement(config: Config, incident_id: int, tier: str, ctx: dict[str, Any]) -> str | None:
    renderer = Renderer(config.resolve_path(config.templates.dir), "plain", timezone=config.timezone,
                        max_chars=config.delivery.max_message_chars)
    payload = {"kind": "alert", "tier": tier, "incident_id": incident_id, "context": ctx}
    return renderer.render(payload).statement
