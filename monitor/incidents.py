"""The incident engine: opens, updates and escalates incidents from stored mentions,
runs the four-hour clock, and records every change in the incident's history.

It never sends anything: it returns :class:`~monitor.notifications.Notification`
objects with deterministic idempotency keys, which the caller writes to the outbox.
The acting functions (acknowledge, mark_step, resolve, silence) are shared by the CLI
and the web console, so both record who and when the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.clock_rules import ClockState, checkpoint, clock_view, closing_summary, due_actions
from monitor.config import BrandConfig, Config
from monitor.figures import Figures
from monitor.models import Incident, IncidentEvent
from monitor.notifications import Notification, next_tier, tier_rank
from monitor.presentation import step_title
from monitor.thresholds import tier_for, triggers
from monitor.window_figures import hourly_volumes, window_figures


class IncidentError(Exception):
    """A request about an incident that cannot be done (unknown id, already resolved ...)."""


@dataclass
class EvaluationReport:
    """What one evaluation changed."""

    opened: list[int] = field(default_factory=list)
    escalated: list[tuple[int, str, str]] = field(default_factory=list)  # (id, from, to)
    resolved: list[int] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


# --------------------------------------------------------------------------- history


def clock_state(incident: Incident) -> ClockState:
    """The clock's view of an incident, rebuilt from its event history."""
    steps: dict[str, datetime] = {}
    reminded: set[str] = set()
    missed: set[str] = set()
    updates = 0
    for ev in incident.events:
        step = (ev.detail or {}).get("step")
        if ev.kind == "step_done" and step and step not in steps:
            steps[step] = ev.at
        elif ev.kind == "reminder" and step:
            reminded.add(step)
        elif ev.kind == "deadline_missed" and step:
            missed.add(step)
        elif ev.kind == "status_update":
            updates = max(updates, int((ev.detail or {}).get("number", 0)))
    return ClockState(
        opened_at=incident.opened_at,
        steps_done=steps,
        reminded=frozenset(reminded),
        missed=frozenset(missed),
        status_updates=updates,
        silenced_until=incident.silenced_until,
        last_evidence_at=incident.last_evidence_at,
        acknowledged_at=incident.acknowledged_at,
    )


# --------------------------------------------------------------------------- context


def _brand_dict(brand: BrandConfig) -> dict[str, Any]:
    return {"id": brand.id, "name": brand.name, "locale": brand.locale}


def context_for(incident: Incident, config: Config, now: datetime, **extra: Any) -> dict[str, Any]:
    """Every fact a template may use about an incident (see README, "Templates")."""
    brand = config.brand(incident.brand)
    cfg = config.incidents
    figures = incident.figures or {}
    who, action = cfg.playbook[incident.tier].text(brand.locale)  # type: ignore[index]
    ctx = {
        "incident_id": incident.id,
        "brand": _brand_dict(brand),
        "tier": incident.tier,
        "cause": incident.cause,
        "status": incident.status,
        "trigger": incident.trigger,
        "negative_volume": figures.get("negative_volume", 0),
        "negative_count": figures.get("negative_count", 0),
        "reposts": figures.get("reposts", 0),
        "top_posts": figures.get("top_posts", []),
        "kols": figures.get("kol_posts", []),
        "kol_involved": bool(figures.get("kol_posts")),
        "kol_watch": figures.get("kol_watch_posts", []),
        "clock": clock_view(clock_state(incident), cfg, now, brand.locale),
        "playbook": {"who": who, "action": action},
        "acknowledged": incident.acknowledged_at is not None,
        "now": now.isoformat(),
    }
    ctx.update(extra)
    return ctx


def _note(incident: Incident, kind: str, key: str, config: Config, now: datetime, also: tuple[str, ...] = (),
          **extra: Any) -> Notification:
    return Notification(
        kind=kind, key=f"incident:{incident.id}:{key}", brand=incident.brand, tier=incident.tier,
        incident_id=incident.id, context=context_for(incident, config, now, **extra), also_tiers=also,
    )


def _event(session: Session, incident: Incident, kind: str, at: datetime, actor: str | None = None, **detail: Any) -> None:
    ev = IncidentEvent(incident_id=incident.id, at=at, kind=kind, actor=actor, detail=detail)
    session.add(ev)
    incident.events.append(ev)


def _figures_dict(fig: Figures) -> dict[str, Any]:
    d = fig.summary()
    d["top_posts"] = [m.as_post() for m in fig.top]
    d["kol_posts"] = [m.as_post() for m in fig.kols[:10]]
    d["kol_watch_posts"] = [m.as_post() for m in fig.kol_watch[:10]]
    return d


# --------------------------------------------------------------------------- evaluation


def evaluate(session: Session, config: Config, now: datetime) -> EvaluationReport:
    """Evaluate every brand at ``now``: open, update and escalate incidents, tick the clock."""
    report = EvaluationReport()
    for brand in config.brands:
        evaluate_brand(session, config, brand, now, report)
    return report


def evaluate_brand(session: Session, config: Config, brand: BrandConfig, now: datetime, report: EvaluationReport) -> None:
    cfg = config.incidents
    # The team closed an incident on these causes: the posts it covered must neither open
    # it again nor count in the next incident's figures (they would raise its tier with no
    # new evidence). Only talk that is new since then (published or first found after the
    # resolution) counts.
    resolved_at = _last_resolved(session, brand.id, now - cfg.window)
    figs = window_figures(session, brand.id, now, cfg.window, cfg.top_posts, cfg.kol_confident_below, resolved_at)
    open_by_cause = {
        i.cause: i
        for i in session.scalars(select(Incident).where(Incident.brand == brand.id, Incident.status != "resolved"))
    }
    hourly: dict[str, tuple[list[int], int]] = {}
    if cfg.spike.enabled:
        # Only a cause without an open incident can open one on a spike.
        quiet = [cause for cause in figs if cause not in open_by_cause]
        hourly = hourly_volumes(session, brand.id, quiet, now, cfg.spike.baseline_days * 24 + 1, resolved_at)
    for cause, fig in sorted(figs.items()):
        incident = open_by_cause.get(cause)
        if incident is not None:
            _update(session, incident, fig, config, now, report)
            continue
        series, last_hour_posts = hourly.get(cause, (None, 0))
        reasons = triggers(fig, cfg, series, brand.locale, last_hour_posts)
        if reasons:
            open_by_cause[cause] = _open(session, brand, fig, reasons, config, now, report)
    for incident in open_by_cause.values():
        tick(session, incident, config, now, report)


def _last_resolved(session: Session, brand: str, since: datetime) -> dict[str, datetime]:
    """cause -> when its latest incident resolved, for incidents resolved after ``since``."""
    rows = session.execute(
        select(Incident.cause, func.max(Incident.resolved_at))
        .where(Incident.brand == brand, Incident.status == "resolved", Incident.resolved_at > since)
        .group_by(Incident.cause)
    ).all()
    return {cause: at for cause, at in rows if at is not None}


def _open(session: Session, brand: BrandConfig, fig: Figures, reasons: list[str], config: Config, now: datetime,
          report: EvaluationReport) -> Incident:
    tier = tier_for(fig, config.incidents)
    incident = Incident(
        brand=brand.id, cause=fig.cause, status="open", tier=tier, opened_at=now, updated_at=now,
        last_evidence_at=fig.last_published_at, trigger="; ".join(reasons), figures=_figures_dict(fig),
    )
    session.add(incident)
    session.flush()
    _event(session, incident, "opened", now, tier=tier, reasons=reasons, negative_volume=fig.negative_volume,
           **_baseline(incident))
    report.opened.append(incident.id)
    report.notifications.append(_note(incident, "alert", "opened", config, now, reasons=reasons))
    return incident


def _update(session: Session, incident: Incident, fig: Figures, config: Config, now: datetime,
            report: EvaluationReport) -> None:
    old = incident.figures or {}
    new = _figures_dict(fig)
    if fig.last_published_at and (incident.last_evidence_at is None or fig.last_published_at > incident.last_evidence_at):
        incident.last_evidence_at = fig.last_published_at
    compared = ("negative_volume", "negative_count", "kols", "kol_watch", "top_ids")
    if {k: old.get(k) for k in compared} != {k: new.get(k) for k in compared}:
        incident.figures = new
        incident.updated_at = now
        _event(session, incident, "evidence", now, negative_volume=fig.negative_volume,
               negative_count=fig.negative_count, kols=new["kols"])
    tier = tier_for(fig, config.incidents)
    if tier_rank(tier) > tier_rank(incident.tier):
        before = incident.tier
        incident.tier = tier
        incident.updated_at = now
        _event(session, incident, "escalated", now, **{"from": before, "to": tier})
        report.escalated.append((incident.id, before, tier))
        # Escalations ignore silence: a rise always notifies at once.
        report.notifications.append(_note(incident, "escalation", f"tier:{tier}", config, now, previous_tier=before))


def tick(session: Session, incident: Incident, config: Config, now: datetime, report: EvaluationReport) -> None:
    """Run the four-hour clock for one open incident."""
    if incident.status == "resolved":
        return
    cfg = config.incidents
    for action in due_actions(clock_state(incident), cfg, now):
        if action.kind == "resolve_quiet":
            report.notifications.extend(_resolve(session, incident, config, action.due_at, actor=None, how="quiet"))
            report.resolved.append(incident.id)
            return
        if action.kind in ("reminder", "deadline_missed"):
            cp = checkpoint(cfg, action.step)  # type: ignore[arg-type]
            if not action.notify:
                _event(session, incident, action.kind, now, step=cp.step, due=action.due_at.isoformat(), sent=False)
                continue
            _event(session, incident, action.kind, now, step=cp.step, due=action.due_at.isoformat())
            also = (next_tier(incident.tier),) if action.kind == "deadline_missed" and incident.tier != "red" else ()
            report.notifications.append(
                _note(incident, action.kind, f"{action.kind}:{cp.step}", config, now, also=also, step=cp.step)
            )
        elif action.kind == "status_update":
            changes = _changes_since_last_status(incident, config)
            _event(session, incident, "status_update", now, number=action.number,
                   negative_volume=(incident.figures or {}).get("negative_volume", 0), tier=incident.tier,
                   **_baseline(incident))
            report.notifications.append(
                _note(incident, "status_update", f"status:{action.number}", config, now, changes=changes,
                      number=action.number)
            )


def _baseline(incident: Incident) -> dict[str, Any]:
    """What the next status update compares against: the KOLs and top posts known now."""
    figures = incident.figures or {}
    return {"kols": list(figures.get("kols") or []), "top_ids": list(figures.get("top_ids") or [])}


# Events a status update reports as they are (with who and when).
_REPORTED_EVENTS = ("escalated", "acknowledged", "step_done", "reminder", "deadline_missed", "silenced", "note")


def _changes_since_last_status(incident: Incident, config: Config) -> list[dict[str, Any]]:
    """What happened since the previous status update (or the opening), oldest first:
    the volume change, new KOLs, posts new among the top ones, then the events (tier
    rises, acknowledgement, steps done, reminders, missed deadlines, silences, notes).

    Each change has ``kind``; events also ``at``, ``actor``, ``detail`` and, for steps,
    ``step_title``; ``volume`` has ``from``/``to``; ``new_kols`` has ``names``;
    ``new_posts`` has ``posts`` (same shape as ``top_posts``).
    """
    events = list(incident.events)
    start = 0
    for i, ev in enumerate(events):
        if ev.kind in ("status_update", "opened"):
            start = i + 1
    baseline = (events[start - 1].detail or {}) if start else {}
    previous_volume = None
    for ev in reversed(events[:start]):
        if "negative_volume" in (ev.detail or {}):
            previous_volume = ev.detail["negative_volume"]
            break
    figures = incident.figures or {}
    locale = config.brand(incident.brand).locale if incident.brand in {b.id for b in config.brands} else "zh-CN"
    changes: list[dict[str, Any]] = []
    volume = figures.get("negative_volume", 0)
    if previous_volume is not None and volume != previous_volume:
        changes.append({"kind": "volume", "from": previous_volume, "to": volume})
    # Incidents stored before the baseline was recorded have none: nothing to compare.
    if "kols" in baseline:
        new_kols = [k for k in figures.get("kols") or [] if k not in set(baseline["kols"])]
        if new_kols:
            changes.append({"kind": "new_kols", "names": new_kols})
    if "top_ids" in baseline:
        known = set(baseline["top_ids"])
        new_posts = [p for p in figures.get("top_posts") or [] if p.get("id") not in known]
        if new_posts:
            changes.append({"kind": "new_posts", "posts": new_posts})
    for ev in events[start:]:
        if ev.kind in _REPORTED_EVENTS:
            change = {"kind": ev.kind, "at": ev.at.isoformat(), "actor": ev.actor, "detail": ev.detail}
            step = (ev.detail or {}).get("step")
            if step:
                try:
                    change["step_title"] = step_title(checkpoint(config.incidents, step), locale)
                except KeyError:  # a step since removed from the config
                    change["step_title"] = step
            changes.append(change)
    return changes


# --------------------------------------------------------------------------- actions


def get_incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise IncidentError(f"no incident #{incident_id}")
    return incident


def _open_incident(session: Session, incident_id: int) -> Incident:
    incident = get_incident(session, incident_id)
    if incident.status == "resolved":
        raise IncidentError(f"incident #{incident_id} is already resolved")
    return incident


def acknowledge(session: Session, incident_id: int, *, actor: str, now: datetime, via: str | None = None) -> list[Notification]:
    """Mark an incident acknowledged (once; a repeat is harmless). ``via``: cli or web."""
    incident = _open_incident(session, incident_id)
    if incident.acknowledged_at is None:
        incident.acknowledged_at, incident.acknowledged_by = now, actor
        incident.status = "acknowledged"
        incident.updated_at = now
        _event(session, incident, "acknowledged", now, actor=actor, **_via(via))
    return []


def mark_step(session: Session, incident_id: int, step: str, *, actor: str, now: datetime, config: Config,
              via: str | None = None) -> list[Notification]:
    """Mark a clock step done (e.g. ``statement``)."""
    incident = _open_incident(session, incident_id)
    try:
        cp = checkpoint(config.incidents, step)
    except KeyError:
        steps = ", ".join(c.step for c in config.incidents.checkpoints)
        raise IncidentError(f"unknown step {step!r} (steps: {steps})") from None
    if cp.step not in clock_state(incident).steps_done:
        due = incident.opened_at + cp.at
        _event(session, incident, "step_done", now, actor=actor, step=cp.step, on_time=now <= due, **_via(via))
        incident.updated_at = now
    return []


def silence(session: Session, incident_id: int, *, until: datetime, actor: str, now: datetime,
            via: str | None = None) -> list[Notification]:
    """Mute reminders and status updates until ``until`` (a tier rise still notifies)."""
    incident = _open_incident(session, incident_id)
    incident.silenced_until = until
    incident.updated_at = now
    _event(session, incident, "silenced", now, actor=actor, until=until.isoformat(), **_via(via))
    return []


def resolve(session: Session, incident_id: int, *, actor: str, now: datetime, config: Config,
            via: str | None = None) -> list[Notification]:
    """Resolve by hand, with the closing summary."""
    incident = _open_incident(session, incident_id)
    return _resolve(session, incident, config, now, actor=actor, how="manual", via=via)


def _via(via: str | None) -> dict[str, str]:
    # Where a person acted (cli / web) goes in the event detail, so the actor is the bare name either way.
    return {"via": via} if via else {}


def _resolve(session: Session, incident: Incident, config: Config, at: datetime, *, actor: str | None,
             how: str, via: str | None = None) -> list[Notification]:
    summary = closing_summary(clock_state(incident), config.incidents, at)
    incident.status = "resolved"
    incident.resolved_at, incident.resolved_by, incident.resolution = at, actor, how
    incident.updated_at = at
    _event(session, incident, "resolved", at, actor=actor, how=how, summary=summary, **_via(via))
    session.flush()
    return [_note(incident, "resolved", "resolved", config, at, summary=summary, how=how)]


def incident_dict(incident: Incident, config: Config, now: datetime, events: bool = False) -> dict[str, Any]:
    """An incident as JSON-able data for the CLI and the web console."""
    state = clock_state(incident)
    locale = config.brand(incident.brand).locale if incident.brand in {b.id for b in config.brands} else "zh-CN"
    d = {
        "id": incident.id,
        "brand": incident.brand,
        "cause": incident.cause,
        "tier": incident.tier,
        "status": incident.status,
        "opened_at": incident.opened_at.isoformat(),
        "acknowledged_at": incident.acknowledged_at.isoformat() if incident.acknowledged_at else None,
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "resolution": incident.resolution,
        "trigger": incident.trigger,
        "negative_volume": (incident.figures or {}).get("negative_volume", 0),
        "kols": (incident.figures or {}).get("kols", []),
        "kol_watch": (incident.figures or {}).get("kol_watch", []),
        "clock": clock_view(state, config.incidents, now, locale),
        "silenced_until": incident.silenced_until.isoformat() if incident.silenced_until else None,
    }
    if events:
        d["events"] = [{"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "detail": e.detail} for e in incident.events]
        d["top_posts"] = (incident.figures or {}).get("top_posts", [])
    return d
