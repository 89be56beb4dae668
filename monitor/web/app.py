"""The PR team's web console (Starlette + the same Jinja2 templates).

Safe by default: every page needs a login with the token from the environment variable
``web.token_env``; the session cookie is signed, HttpOnly and SameSite=Strict; every
state-changing request carries the session's CSRF token; all post text is escaped by
Jinja2's autoescape. Acting on an incident calls the same engine functions as the CLI,
so its history records who and when the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
from collections import deque
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from monitor.clock import Clock, SystemClock
from monitor.config import Config
from monitor.db import safe_url, session_scope
from monitor.digest import LABELS as CATEGORY_LABELS
from monitor.digest import STATUS_LABELS, TIER_LABELS
from monitor.models import Incident, Mention

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PAGE = 50
TIER_COLOURS = {"yellow": "#d4a900", "orange": "#F28C28", "red": "#D93025"}
MIN_TOKEN = 8
EVENT_LABELS = {
    "zh-CN": {"opened": "开始", "acknowledged": "确认", "step_done": "完成步骤", "reminder": "提醒", "deadline_missed": "超时",
              "status_update": "状态更新", "escalated": "升级", "evidence": "新证据", "silenced": "静音", "resolved": "结束"},
    "en": {"opened": "opened", "acknowledged": "acknowledged", "step_done": "step done", "reminder": "reminder",
           "deadline_missed": "deadline missed", "status_update": "status update", "escalated": "escalated",
           "evidence": "new evidence", "silenced": "silenced", "resolved": "resolved"},
}

STEP_STATE_LABELS = {"zh-CN": {"pending": "待完成", "overdue": "已逾期", "done": "已完成", "done_late": "逾期完成"},
                     "en": {"pending": "pending", "overdue": "overdue", "done": "done", "done_late": "done late"}}


class LoginThrottle:
    """At most ``limit`` failed logins per client address within ``window``: slows down
    guessing the token without locking out the rest of the team. Time is passed in."""

    def __init__(self, limit: int = 5, window: timedelta = timedelta(minutes=1), max_clients: int = 10_000):
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        times = self._failures.get(client, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def blocked(self, client: str, now: datetime) -> bool:
        """Whether ``client`` has used up its failed attempts for now."""
        return len(self._recent(client, now)) >= self.limit

    def failed(self, client: str, now: datetime) -> None:
        """Count one failed login of ``client``."""
        if len(self._failures) >= self.max_clients:
            # Bounded memory: forget addresses with no failure inside the window.
            self._failures = {c: t for c, t in self._failures.items() if self._recent(c, now)}
        times = self._recent(client, now)
        times.append(now)
        self._failures[client] = times

    def succeeded(self, client: str) -> None:
        """A successful login clears the address's count."""
        self._failures.pop(client, None)


class WebConfigError(Exception):
    """The console cannot start (e.g. its token variable is not set)."""


def create_app(config: Config, factory: sessionmaker[Session], clock: Clock | None = None,
               env: dict[str, str] | None = None) -> Starlette:
    """The console app for one config and database."""
    environ = os.environ if env is None else env
    token = environ.get(config.web.token_env, "")
    if not token:
        raise WebConfigError(f"set the environment variable {config.web.token_env} to a login token "
                             f"({MIN_TOKEN}+ characters) before starting the console")
    if len(token) < MIN_TOKEN:
        raise WebConfigError(f"the login token in {config.web.token_env} is too short ({len(token)} characters; "
                             f"at least {MIN_TOKEN}): choose a longer one")
    clock = clock or SystemClock()
    # The session key derives from the token: changing the token logs everyone out.
    session_key = hmac.new(token.encode(), b"repmon-web-session", hashlib.sha256).hexdigest()
    templates = Environment(
        loader=FileSystemLoader([str(config.resolve_path(config.templates.dir)), str(BUILTIN_TEMPLATES)]),
        autoescape=select_autoescape(["html"]),
    )
    tz = config.tz
    known_categories = _known_categories(config)

    def local(iso: Any, fmt: str = "%m-%d %H:%M") -> str:
        if not iso:
            return "—"
        dt = iso if isinstance(iso, datetime) else datetime.fromisoformat(str(iso))
        return dt.astimezone(tz).strftime(fmt)

    lang = "en" if config.brands and all(b.locale == "en" for b in config.brands) else "zh-CN"
    words = WORDS["en"] if lang == "en" else WORDS["zh-CN"]
    category_labels = CATEGORY_LABELS[lang]
    templates.filters.update(local=local, duration=_duration, safe_url=_safe_link)
    throttle = LoginThrottle()
    templates.globals.update(tier_colours=TIER_COLOURS, t=lambda key: words.get(key, key), lang=lang,
                             category_label=lambda c: category_labels.get(c, c),
                             tier_label=lambda x: TIER_LABELS[lang].get(x, x),
                             status_label=lambda x: STATUS_LABELS[lang].get(x, x),
                             event_label=lambda x: EVENT_LABELS[lang].get(x, x),
                             step_state_label=lambda x: STEP_STATE_LABELS[lang].get(x, x))

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.update(user=request.session.get("user"), csrf=request.session.get("csrf", ""), path=request.url.path)
        return HTMLResponse(templates.get_template(f"web/{name}").render(**ctx), status_code=status)

    def login_required(handler):
        async def wrapped(request: Request) -> Response:
            if not request.session.get("user"):
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            return await handler(request)

        return wrapped

    async def check_csrf(request: Request) -> dict[str, Any]:
        form = dict(await request.form())
        sent = str(form.get("csrf", ""))
        if not sent or not hmac.compare_digest(sent, request.session.get("csrf", "")):
            raise PermissionError("CSRF token missing or wrong")
        return form

    # ------------------------------------------------------------------ login

    async def login(request: Request) -> Response:
        nxt = request.query_params.get("next", "/")
        if request.method == "GET":
            return page(request, "login.html", next=nxt, error=None)
        client = request.client.host if request.client else "?"
        now = clock.now()
        if throttle.blocked(client, now):
            response = page(request, "login.html", status=429, next=nxt, error=words["too_many_logins"])
            response.headers["Retry-After"] = str(int(throttle.window.total_seconds()))
            return response
        form = dict(await request.form())
        name = str(form.get("name", "")).strip()[:64]
        given = str(form.get("token", ""))
        if not name or not hmac.compare_digest(given.encode(), token.encode()):
            throttle.failed(client, now)
            return page(request, "login.html", status=401, next=nxt, error=words["login_failed"])
        throttle.succeeded(client)
        request.session.clear()
        request.session.update(user=name, csrf=secrets.token_urlsafe(24))
        target = str(form.get("next") or "/")
        return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/", status_code=303)

    async def logout(request: Request) -> Response:
        # Only a POST with the session's CSRF token logs out: a GET (a link or an image on
        # another site) must not be able to end someone's session.
        if request.method == "GET":
            if not request.session.get("user"):
                return RedirectResponse("/login", status_code=303)
            return page(request, "logout.html")
        try:
            await check_csrf(request)
        except PermissionError:
            return HTMLResponse("forbidden", status_code=403)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # ------------------------------------------------------------------ incidents

    @login_required
    async def incidents(request: Request) -> Response:
        from monitor.incidents import incident_dict

        now = clock.now()
        show_all = request.query_params.get("all") == "1"
        with session_scope(factory) as s:
            q = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(200)
            if not show_all:
                q = q.where(Incident.status != "resolved")
            rows = [incident_dict(i, config, now) for i in s.scalars(q)]
        return page(request, "incidents.html", incidents=rows, show_all=show_all)

    @login_required
    async def incident(request: Request) -> Response:
        from monitor.incidents import IncidentError, context_for, get_incident, incident_dict

        now = clock.now()
        try:
            iid = int(request.path_params["id"])
            with session_scope(factory) as s:
                inc = get_incident(s, iid)
                d = incident_dict(inc, config, now, events=True)
                ctx = context_for(inc, config, now)
        except (IncidentError, ValueError):
            return page(request, "error.html", status=404, message="no such incident")
        statement = _statement(config, inc.id, inc.tier, ctx)
        return page(request, "incident.html", i=d, statement=statement, steps=config.incidents.checkpoints,
                    message=request.query_params.get("msg"))

    def _act(action: str):
        @login_required
        async def handler(request: Request) -> Response:
            from monitor.actions import act
            from monitor.incidents import IncidentError

            try:
                form = await check_csrf(request)
            except PermissionError as exc:
                return page(request, "error.html", status=403, message=str(exc))
            iid = int(request.path_params["id"])
            try:
                # The same record as the CLI: the bare name as actor, where it came from in the
                # detail. In a worker thread: a resolve delivers its summary before returning.
                outcome = await run_in_threadpool(act, config, factory, iid, action, actor=request.session["user"],
                                                  via="web", now=clock.now(), step=str(form.get("step", "")))
            except IncidentError as exc:
                return RedirectResponse(f"/incidents/{iid}?msg={_q(str(exc))}", status_code=303)
            if action == "ack" and not outcome.recorded:
                message = words["already_ack"].format(who=outcome.earlier_by or "?", at=local(outcome.earlier_at))
            elif action == "step" and not outcome.recorded:
                message = words["already_step"].format(at=local(outcome.earlier_at))
            else:
                message = words[f"msg_{action}"]
            return RedirectResponse(f"/incidents/{iid}?msg={_q(message)}", status_code=303)

        return handler

    # ------------------------------------------------------------------ mentions

    @login_required
    async def mentions(request: Request) -> Response:
        from monitor.cli.mentions_cmd import mention_dict
        from monitor.store import mentions_query

        qp = request.query_params
        filters = {k: qp.get(k) or None for k in ("brand", "source", "category", "date")}
        negative = qp.get("negative") == "1"
        since = until = None
        if filters["date"]:
            try:
                d = date.fromisoformat(filters["date"])
                from monitor.digest import day_bounds

                since, until = day_bounds(d, tz)
            except ValueError:
                filters["date"] = None
        try:
            page_no = max(1, int(qp.get("page", "1")))
        except ValueError:
            page_no = 1
        q = mentions_query(brand=filters["brand"], negative=True if negative else None, since=since, until=until,
                           source_id=filters["source"], category=filters["category"])
        with session_scope(factory) as s:
            total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
            rows = [mention_dict(m) for m in s.scalars(q.limit(PAGE).offset((page_no - 1) * PAGE))]
        pages = max(1, math.ceil(total / PAGE))

        def page_link(n: int) -> str:
            params = {k: v for k, v in filters.items() if v}
            if negative:
                params["negative"] = "1"
            return "?" + urlencode({**params, "page": n})

        categories = [(c, category_labels.get(c, c)) for c in known_categories]
        if filters["category"] and filters["category"] not in known_categories:
            categories.append((filters["category"], filters["category"]))
        return page(request, "mentions.html", rows=rows, total=total, page=page_no, pages=pages, filters=filters,
                    negative=negative, brands=[(b.id, b.name) for b in config.brands], sources=[x.id for x in config.sources],
                    categories=categories, page_link=page_link)

    # ------------------------------------------------------------------ digests, sources, config

    digest_root = config.resolve_path(config.digest.dir)

    @login_required
    async def digests(request: Request) -> Response:
        files = sorted(digest_root.glob("*/*.html"), key=lambda p: (p.stem, p.parent.name), reverse=True) if digest_root.is_dir() else []
        return page(request, "digests.html", files=[{"brand": f.parent.name, "date": f.stem} for f in files[:400]])

    @login_required
    async def digest_file(request: Request) -> Response:
        brand, day = request.path_params["brand"], request.path_params["day"]
        try:
            date.fromisoformat(day)
        except ValueError:
            return page(request, "error.html", status=404, message="no such digest")
        if brand not in {b.id for b in config.brands}:
            return page(request, "error.html", status=404, message="no such digest")
        path = digest_root / brand / f"{day}.html"
        if not path.is_file():
            return page(request, "error.html", status=404, message="no such digest")
        return FileResponse(path, media_type="text/html; charset=utf-8")

    @login_required
    async def sources(request: Request) -> Response:
        from monitor.source_health import source_health

        with session_scope(factory) as s:
            rows = source_health(s, config)
        return page(request, "sources.html", rows=rows)

    @login_required
    async def config_page(request: Request) -> Response:
        import yaml

        masked = _masked(config)
        return page(request, "config.html", text=yaml.safe_dump(masked, allow_unicode=True, sort_keys=False))

    async def health(request: Request) -> Response:
        return Response("ok", media_type="text/plain")

    routes = [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["GET", "POST"]),
        Route("/", incidents),
        Route("/incidents", incidents),
        Route("/incidents/{id:int}", incident),
        Route("/incidents/{id:int}/ack", _act("ack"), methods=["POST"]),
        Route("/incidents/{id:int}/step", _act("step"), methods=["POST"]),
        Route("/incidents/{id:int}/resolve", _act("resolve"), methods=["POST"]),
        Route("/mentions", mentions),
        Route("/digests", digests),
        Route("/digests/{brand}/{day}", digest_file),
        Route("/sources", sources),
        Route("/config", config_page),
        Route("/healthz", health),
    ]
    middleware = [Middleware(SessionMiddleware, secret_key=session_key, session_cookie="repmon_session",
                             same_site="strict", https_only=bool(config.web.public_url and config.web.public_url.startswith("https")),
                             max_age=12 * 3600)]
    return Starlette(routes=routes, middleware=middleware)


WORDS = {
    "zh-CN": {
        "incidents": "事件", "mentions": "提及", "digests": "日报", "sources": "数据源", "config": "配置", "logout": "退出",
        "login": "登录", "name": "姓名", "token": "令牌", "open_incidents": "进行中的事件", "all_incidents": "全部事件",
        "show_all": "显示全部", "tier": "等级", "cause": "原因", "status": "状态", "volume": "负面声量", "opened": "开始",
        "time_left": "剩余时间", "next_step": "下一步", "none_open": "没有进行中的事件", "acknowledge": "确认事件",
        "mark_done": "标记完成", "resolve": "结束事件", "timeline": "时间线", "evidence": "负面帖子", "statement": "回应草稿",
        "copy": "复制", "copied": "已复制", "clock": "黄金四小时", "deadline": "截止", "step": "步骤", "due": "应完成",
        "done": "完成", "brand": "品牌", "source": "来源", "negative_only": "仅负面", "category": "类别", "date": "日期",
        "filter": "筛选", "text": "内容", "author": "作者", "reposts": "转发", "sentiment": "情感", "published": "发布时间",
        "page": "页", "last_run": "最近运行", "last_success": "最近成功", "items": "条数", "last_error": "最近错误",
        "no_digests": "还没有日报", "acknowledged_by": "确认人", "kol_watch": "待关注 KOL", "trigger": "触发",
        "all_brands": "全部品牌", "all_sources": "全部来源", "all_categories": "全部类别",
        "login_failed": "令牌错误或姓名为空", "too_many_logins": "登录失败次数过多，请一分钟后再试",
        "logout_confirm": "确定退出登录？", "msg_ack": "已确认事件", "msg_step": "步骤已标记完成", "msg_resolve": "事件已结束",
        "already_ack": "该事件已被 {who} 确认（{at}）", "already_step": "该步骤已于 {at} 完成", "via": "途径",
    },
    "en": {
        "incidents": "Incidents", "mentions": "Mentions", "digests": "Digests", "sources": "Sources", "config": "Config",
        "logout": "Log out", "login": "Log in", "name": "Name", "token": "Token", "open_incidents": "Open incidents",
        "all_incidents": "All incidents", "show_all": "Show all", "tier": "Tier", "cause": "Cause", "status": "Status",
        "volume": "Negative volume", "opened": "Opened", "time_left": "Time left", "next_step": "Next step",
        "none_open": "No open incidents", "acknowledge": "Acknowledge", "mark_done": "Mark done", "resolve": "Resolve",
        "timeline": "Timeline", "evidence": "Negative posts", "statement": "Draft statement", "copy": "Copy",
        "copied": "Copied", "clock": "Four-hour clock", "deadline": "Deadline", "step": "Step", "due": "Due", "done": "Done",
        "brand": "Brand", "source": "Source", "negative_only": "Negative only", "category": "Category", "date": "Date",
        "filter": "Filter", "text": "Text", "author": "Author", "reposts": "Reposts", "sentiment": "Sentiment",
        "published": "Published", "page": "page", "last_run": "Last run", "last_success": "Last success", "items": "Items",
        "last_error": "Last error", "no_digests": "No digests yet", "acknowledged_by": "Acknowledged by", "kol_watch": "KOL mentions to watch", "trigger": "Trigger",
        "all_brands": "All brands", "all_sources": "All sources", "all_categories": "All categories",
        "login_failed": "wrong token or empty name", "too_many_logins": "too many failed logins from your address; try again in a minute",
        "logout_confirm": "Log out of the console?", "msg_ack": "acknowledged", "msg_step": "step marked done",
        "msg_resolve": "incident resolved", "already_ack": "already acknowledged by {who} at {at}",
        "already_step": "that step was already done at {at}", "via": "via",
    },
}


def _known_categories(config: Config) -> list[str]:
    """The complaint categories the scorer can assign, in the configured order, then ``other``."""
    from monitor.categories import DEFAULT_CATEGORIES, OTHER

    configured = list(config.scoring.categories or DEFAULT_CATEGORIES)
    return configured + ([OTHER] if OTHER not in configured else [])


def _safe_link(url: Any) -> str | None:
    """A post's URL if it may be a link (http/https only), else None: stored posts come
    from the internet, and a ``javascript:`` URL in an href would run in the console."""
    from alerts.render import safe_url as checked

    return checked(url)


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:200])


def _duration(seconds: Any) -> str:
    from monitor.clock_rules import fmt_duration

    return fmt_duration(int(seconds)) if seconds is not None else "—"


def _statement(config: Config, incident_id: int, tier: str, ctx: dict[str, Any]) -> str | None:
    from alerts.render import Renderer

    renderer = Renderer(config.resolve_path(config.templates.dir), "plain", timezone=config.timezone,
                        max_chars=config.delivery.max_message_chars)
    payload = {"kind": "alert", "tier": tier, "incident_id": incident_id, "context": ctx}
    return renderer.render(payload).statement


# Config keys whose whole value is a secret (a dict keeps its keys: cookie and header
# names, never their values). Matched on the key's last word, so ``token``,
# ``access_token``, ``api_key``, ``client_secret`` and the source's whole-string
# ``cookie`` are all masked; ``token_env`` (a variable's name) and ``key_prefix`` are not.
# Every header value is masked, not just Cookie / Authorization / X-Api-Key: a custom
# header may carry a credential too.
SECRET_KEYS = re.compile(
    r"(?:^|[_-])(?:token|secret|password|passwd|pwd|cookies?|headers|authorization|auth|api[_-]?key|apikey"
    r"|access[_-]?key|private[_-]?key|credentials?|webhook_url|session)$",
    re.IGNORECASE,
)
# Query parameters whose value is a credential even when typed into the file directly.
SECRET_PARAMS = re.compile(r"(key|token|secret|password|passwd|pwd|sig|signature|auth|session)", re.IGNORECASE)
MASK = "******"


def _mask_url(text: str) -> str:
    """A URL with its password and credential-like query values masked; other text unchanged."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    if "://" not in text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        if sep:
            netloc = f"{user}:{MASK}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(SECRET_PARAMS.search(k) for k, _ in pairs):
            query = urlencode([(k, MASK if SECRET_PARAMS.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _masked(config: Config) -> dict[str, Any]:
    """The config as plain data with every secret replaced by ******.

    Three layers, because a secret can hide in any of them: values under a secret key
    name, passwords and credential parameters inside URLs, and any value that came
    from ``${ENV}`` wherever it sits in a longer string (``monitor.secrets.redact``)."""
    from monitor.secrets import redact

    data = config.model_dump(mode="json", exclude={"base_dir", "path"})
    data["database"]["url"] = safe_url(data["database"]["url"])

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if isinstance(k, str) and SECRET_KEYS.search(k) and v:
                    out[k] = {kk: MASK for kk in v} if isinstance(v, dict) else MASK
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(x) for x in node]
        if isinstance(node, str):
            return _mask_url(redact(node))
        return node

    return walk(data)
