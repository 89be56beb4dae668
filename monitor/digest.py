"""The managers' daily digest: gather a brand's day, render the HTML page (archived by
date), and hand a short summary card to the digest route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.outbox import enqueue
from alerts.routes import channels_for
from monitor import charts
from monitor.clock import Clock
from monitor.clock_rules import parse_iso
from monitor.config import BrandConfig, CheckpointConfig, Config
from monitor.db import session_scope
from monitor.models import Incident, Mention, OutboxMessage
from monitor.notifications import Notification
from monitor.presentation import (cause_label, format_duration, format_local, locale_or_default, status_name,
                                  step_title, tier_name)
from monitor.source_health import source_health
from monitor.templating import html_environment

CATEGORY_ORDER = ["product_quality", "logistics", "after_sales", "price", "website", "order_error", "other"]


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


def gather(session: Session, config: Config, brand: BrandConfig, day: date) -> dict[str, Any]:
    """Everything the digest shows for one brand and local day."""
    tz = config.tz
    cut = config.scoring.negative_below
    start, end = day_bounds(day, tz)
    days = []
    for back in range(6, -1, -1):
        d = day - timedelta(days=back)
        s, e = day_bounds(d, tz)
        total, negative = session.execute(
            select(func.count(), func.coalesce(func.sum(case((Mention.negative.is_(True), 1), else_=0)), 0))
            .where(Mention.brand == brand.id, Mention.published_at >= s, Mention.published_at < e)
        ).one()
        days.append({"date": d.isoformat(), "label": d.strftime("%m-%d"), "mentions": int(total), "negative": int(negative),
                     "share": (int(negative) / int(total)) if total else 0.0})
    in_day = (Mention.brand == brand.id, Mention.published_at >= start, Mention.published_at < end)
    bins = [0] * 10
    # floor, not a cast: PostgreSQL's cast to integer rounds (0.36 × 10 → 4), SQLite's
    # truncates. Some SQLite builds lack floor(); there truncation is floor for 0..1.
    # Grouped by the output label (PostgreSQL would see two different expressions, each
    # with its own bound literal). A sentiment of exactly 1.0 belongs to the top bin.
    scaled = Mention.sentiment * 10
    dialect = session.get_bind().dialect.name
    bucket = (cast(scaled, Integer) if dialect == "sqlite" else func.floor(scaled)).label("bucket")
    for b, n in session.execute(
        select(bucket, func.count()).where(*in_day, Mention.sentiment.is_not(None)).group_by(bucket)
    ).all():
        bins[min(max(int(b), 0), 9)] += int(n)
    cats: dict[str, int] = {}
    for c, n in session.execute(
        select(Mention.category, func.count()).where(*in_day, Mention.negative.is_(True)).group_by(Mention.category)
    ).all():
        cats[c or "other"] = cats.get(c or "other", 0) + int(n)
    categories = [{"id": c, "label": cause_label(c, brand.locale), "count": int(cats.get(c, 0))} for c in CATEGORY_ORDER]
    categories += [{"id": c, "label": c, "count": int(n)} for c, n in cats.items() if c not in CATEGORY_ORDER]
    categories.sort(key=lambda c: -c["count"])
    reach = Mention.reposts + Mention.comments + Mention.likes
    top = [_post(m) for m in session.scalars(select(Mention).where(*in_day, Mention.negative.is_(True)).order_by(reach.desc(), Mention.id).limit(10))]
    # KOL mentions of any sentiment, the ones to act on first (priority) at the top.
    kols = [_post(m) for m in session.scalars(select(Mention).where(*in_day, Mention.kol.is_(True))
                                               .order_by(Mention.priority.desc().nulls_last(), reach.desc(), Mention.id).limit(10))]
    incidents = _incidents(session, config, brand, start, end)
    health = [h for h in source_health(session, config)]
    total_day = days[-1]["mentions"]
    return {
        "brand": {"id": brand.id, "name": brand.name, "locale": brand.locale},
        "date": day.isoformat(),
        "days": days,
        "total": total_day,
        "negative": days[-1]["negative"],
        "negative_share": days[-1]["share"],
        "sentiment_bins": bins,
        "categories": categories,
        "top_negative": top,
        "kol_mentions": kols,
        "incidents": incidents,
        "kept": sum(1 for i in incidents["resolved"] if i["clock_kept"]),
        "sources": [{"id": h.id, "kind": h.kind, "ok": h.last_ok, "last_run": h.last_run.isoformat() if h.last_run else None,
                     "last_success": h.last_success.isoformat() if h.last_success else None, "items": h.last_items,
                     "error": h.last_error, "streak": h.failing_streak} for h in health],
        "negative_below": cut,
    }


def _post(m: Mention) -> dict[str, Any]:
    return {"text": m.text, "url": m.url, "author_name": m.author_name, "followers": m.author_followers, "kol": m.kol,
            "reposts": m.reposts, "comments": m.comments, "likes": m.likes, "reach": m.reposts + m.comments + m.likes,
            "sentiment": m.sentiment, "category": m.category, "published_at": m.published_at.isoformat(), "source_id": m.source_id}


def clock_verdict(opened_at: datetime, steps_done: dict[str, datetime], checkpoints: list[CheckpointConfig],
                  at: datetime, resolved: bool) -> tuple[str, list[CheckpointConfig]]:
    """Whether an incident kept the four-hour clock, as of ``at`` (its resolution, or the
    end of the digest's day while it is still open), and the steps it missed.

    ``kept``: every step done by its time (``closing_summary``'s ``clock_kept``).
    ``missed``: a step done late, or not done when its time had come.
    ``resolved_early``: resolved before the time of a step that was never done — not kept,
    but no time was missed either. ``open``: still open with no step overdue yet.
    """
    missed = []
    for cp in checkpoints:
        due = opened_at + cp.at
        done = steps_done.get(cp.step)
        if (done is not None and done > due) or (done is None and at >= due):
            missed.append(cp)
    if missed:
        return "missed", missed
    if all(cp.step in steps_done for cp in checkpoints):
        return "kept", []
    return ("resolved_early" if resolved else "open"), []


def _incidents(session: Session, config: Config, brand: BrandConfig, start: datetime, end: datetime) -> dict[str, list]:
    """The day's incidents: one row per incident, marked opened and/or resolved that day."""
    from monitor.incidents import clock_state

    found = session.scalars(
        select(Incident).where(
            Incident.brand == brand.id,
            or_(and_(Incident.opened_at >= start, Incident.opened_at < end),
                and_(Incident.resolved_at >= start, Incident.resolved_at < end)),
        ).order_by(Incident.opened_at, Incident.id)
    ).all()
    locale = locale_or_default(brand.locale)
    cfg = config.incidents

    def row(i: Incident) -> dict[str, Any]:
        summary: dict[str, Any] = {}
        for ev in i.events:
            if ev.kind == "resolved":
                summary = (ev.detail or {}).get("summary") or {}
        # The closing summary is the record of a resolved incident; an open one (or an
        # old summary without step times) is read from its step events.
        if summary.get("steps_done") is not None:
            steps = {k: parse_iso(v) for k, v in summary["steps_done"].items()}
        else:
            steps = dict(clock_state(i).steps_done)
        resolved = i.resolved_at is not None
        at = i.resolved_at if resolved else end
        verdict, missed = clock_verdict(i.opened_at, steps, cfg.checkpoints, at, resolved)
        if resolved and summary.get("clock_kept"):
            verdict, missed = "kept", []
        ack = int((i.acknowledged_at - i.opened_at).total_seconds()) if i.acknowledged_at else None
        first = steps.get(cfg.first_response_step)
        first_secs = int((first - i.opened_at).total_seconds()) if first else None
        return {"id": i.id, "cause": i.cause, "cause_label": cause_label(i.cause, locale),
                "tier": i.tier, "tier_label": tier_name(i.tier, locale),
                "status": i.status, "status_label": status_name(i.status, locale),
                "opened_at": i.opened_at.isoformat(), "resolved_at": i.resolved_at.isoformat() if resolved else None,
                "opened_today": start <= i.opened_at < end,
                "resolved_today": resolved and start <= i.resolved_at < end,
                "time_to_ack": format_duration(ack), "time_to_first_response": format_duration(first_secs),
                "clock": verdict, "clock_kept": verdict == "kept",
                "missed_steps": [step_title(cp, locale) for cp in missed], "resolution": i.resolution}

    rows = [row(i) for i in found]
    return {"rows": rows, "opened": [r for r in rows if r["opened_today"]], "resolved": [r for r in rows if r["resolved_today"]]}


def render_html(data: dict[str, Any], config: Config) -> str:
    """The digest page (Jinja2, autoescaped) with its charts drawn inline."""
    locale = data["brand"]["locale"]
    en = locale == "en"
    cut = data["negative_below"]
    chart_svgs = {
        "volume": charts.bar_chart([d["label"] for d in data["days"]], [d["mentions"] for d in data["days"]],
                                   share=[d["share"] for d in data["days"]], share_label="negative share" if en else "负面占比",
                                   title="Mentions, last 7 days" if en else "近7天声量",
                                   empty="no mentions in these 7 days" if en else "近7天无提及"),
        "sentiment": charts.histogram(data["sentiment_bins"], title="Sentiment spread" if en else "情感分布", cut=cut,
                                      empty="no mentions this day" if en else "当日无提及",
                                      legend=f"negative (< {cut:g})" if en else f"负面（< {cut:g}）"),
        "categories": charts.hbar_chart([c["label"] for c in data["categories"]], [c["count"] for c in data["categories"]],
                                        title="Complaint categories" if en else "投诉类别", empty="no negative mentions" if en else "无负面提及"),
    }
    # Post URLs come from the internet: the environment's safe_url filter links only http(s) ones.
    env = html_environment(config.resolve_path(config.templates.dir))
    template = env.select_template([f"digest/{locale}/digest.html", "digest/zh-CN/digest.html"])
    return template.render(d=data, charts=chart_svgs, local=lambda iso: format_local(iso, config.tz))


def archive_path(config: Config, brand_id: str, day: date) -> Path:
    return config.resolve_path(config.digest.dir) / brand_id / f"{day.isoformat()}.html"


@dataclass
class DigestResult:
    brand: str
    path: Path
    notification: Notification


def build_digest(session: Session, config: Config, brand: BrandConfig, day: date) -> DigestResult:
    """Render and archive one brand's digest; returns it with its summary card."""
    data = gather(session, config, brand, day)
    path = archive_path(config, brand.id, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data, config), encoding="utf-8")
    url = f"{config.web.public_url.rstrip('/')}/digests/{brand.id}/{day.isoformat()}" if config.web.public_url else None
    card = {
        "brand": data["brand"], "date": data["date"], "total": data["total"], "negative": data["negative"],
        "negative_share": round(data["negative_share"] * 100, 1),
        "top_category": next((c["label"] for c in data["categories"] if c["count"]), None),
        "opened": len(data["incidents"]["opened"]), "resolved": len(data["incidents"]["resolved"]), "kept": data["kept"],
        "top_negative": data["top_negative"][:3], "failing_sources": [s["id"] for s in data["sources"] if s["ok"] is False],
        # No server file path: whoever reads the card cannot open it; the console lists the archive by date.
        "digest_url": url,
    }
    note = Notification(kind="digest", key=digest_key(brand.id, day), brand=brand.id, tier=None, incident_id=None,
                        context=card)
    return DigestResult(brand.id, path, note)


def send_digests(config: Config, factory: sessionmaker[Session], clock: Clock, day: date | None = None,
                 brand_id: str | None = None, send: bool = True) -> list[DigestResult]:
    """Digests for ``day`` (default: yesterday, local time) for every brand (or one), written
    to the archive and their summary cards put in the outbox."""
    local_today = clock.now().astimezone(config.tz).date()
    day = day or (local_today - timedelta(days=1))
    results = []
    with session_scope(factory) as s:
        for brand in config.brands:
            if brand_id and brand.id != brand_id:
                continue
            results.append(build_digest(s, config, brand, day))
        if send:
            enqueue(s, [r.notification for r in results], config, clock.now())
    return results


# ---------------------------------------------------------------------------- catch-up

CATCH_UP_DAYS = 2


def due_digest_days(now_local: datetime, send_at: time, lookback: int = CATCH_UP_DAYS) -> list[date]:
    """The last ``lookback`` days whose digest should have been sent by ``now_local``, oldest first.

    A day's digest is due at ``send_at`` on the next day: before that time today, the
    latest due day is the day before yesterday. Pure."""
    latest = now_local.date() - timedelta(days=1 if now_local.time() >= send_at else 2)
    return [latest - timedelta(days=back) for back in range(lookback - 1, -1, -1)]


def digest_key(brand_id: str, day: date) -> str:
    """The summary card's outbox key: one card per brand and day, ever."""
    return f"digest:{brand_id}:{day.isoformat()}"


def missing_digests(config: Config, session: Session, now: datetime,
                    lookback: int = CATCH_UP_DAYS) -> list[tuple[str, date]]:
    """(brand, day) pairs that are due but whose summary card was never queued.

    Decided by the outbox (a row with the card's key, on any channel), not by the archive
    page: ``repmon digest --no-send`` writes a page without sending anything, and a lost
    page does not mean the card was not sent. Only when the digest route has no channel
    at all (no card can ever be queued) does a missing page count as missing."""
    hour, minute = (int(x) for x in config.digest.time.split(":"))
    days = due_digest_days(now.astimezone(config.tz), time(hour, minute), lookback)
    due = [(b.id, d) for d in days for b in config.brands]
    if not due:
        return []
    routed = bool(channels_for(Notification(kind="digest", key="", brand=None, tier=None, incident_id=None), config))
    if not routed:
        return [(b, d) for b, d in due if not archive_path(config, b, d).exists()]
    keys = [digest_key(b, d) for b, d in due]
    queued = set(session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys))).all())
    return [(b, d) for b, d in due if digest_key(b, d) not in queued]


def catch_up_digests(config: Config, factory: sessionmaker[Session], clock: Clock,
                     lookback: int = CATCH_UP_DAYS) -> list[DigestResult]:
    """Write and send every due digest whose summary card was never queued (a run missed
    while the service was down or late, or a day only previewed with ``--no-send``); its
    page is written afresh. Sending twice is impossible: the outbox key
    ``digest:<brand>:<date>`` is idempotent. Days before monitoring began (no mention
    fetched by that day's end) are skipped rather than reported as silent days."""
    results = []
    with session_scope(factory) as s:
        missing = missing_digests(config, s, clock.now(), lookback=lookback)
        if not missing:
            return []
        first_fetch = s.scalar(select(func.min(Mention.fetched_at)))
        for brand_id, day in missing:
            if first_fetch is None or first_fetch >= day_bounds(day, config.tz)[1]:
                continue
            results.append(build_digest(s, config, config.brand(brand_id), day))
        if results:
            enqueue(s, [r.notification for r in results], config, clock.now())
    return results
