"""The four-hour clock: what is due for an open incident at a given time. Pure.

- At each checkpoint whose step is not done, a reminder goes out.
- A step still not done ``deadline_grace`` after its checkpoint is a missed deadline:
  the notice also goes to the next tier's route.
- Every ``status_every`` while open, a status update (what changed since the last one).
- ``quiet_period`` with no new negative mention resolves the incident by itself.
- While silenced, reminders, missed deadlines and status updates wait (a tier rise does not).
- A reminder that comes due together with its step's missed deadline (after a silence, or
  when the service was down) is recorded but not sent: the missed-deadline notice says it all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.config import CheckpointConfig, IncidentsConfig
from monitor.presentation import step_title
# web/app.py still imports the duration format under this name; it is monitor.presentation's.


@dataclass(frozen=True)
class ClockState:
    """An incident as the clock sees it."""

    opened_at: datetime
    steps_done: dict[str, datetime] = field(default_factory=dict)
    reminded: frozenset[str] = frozenset()
    missed: frozenset[str] = frozenset()
    status_updates: int = 0
    silenced_until: datetime | None = None
    last_evidence_at: datetime | None = None
    acknowledged_at: datetime | None = None


@dataclass(frozen=True)
class ClockAction:
    """One thing the clock says is due now."""

    kind: str  # reminder | deadline_missed | status_update | resolve_quiet
    due_at: datetime
    step: str | None = None
    number: int | None = None
    notify: bool = True  # False: record it in the history only


def due_actions(state: ClockState, cfg: IncidentsConfig, now: datetime) -> list[ClockAction]:
    """Everything due at ``now`` that has not been done yet, oldest first."""
    actions: list[ClockAction] = []
    quiet_since = state.last_evidence_at or state.opened_at
    if now - quiet_since >= cfg.quiet_period:
        return [ClockAction("resolve_quiet", quiet_since + cfg.quiet_period)]
    silenced = state.silenced_until is not None and now < state.silenced_until
    if silenced:
        return []
    for cp in cfg.checkpoints:
        due = state.opened_at + cp.at
        if cp.step in state.steps_done:
            continue
        missed = now >= due + cfg.deadline_grace and cp.step not in state.missed
        if now >= due and cp.step not in state.reminded:
            actions.append(ClockAction("reminder", due, step=cp.step, notify=not missed))
        if missed:
            actions.append(ClockAction("deadline_missed", due + cfg.deadline_grace, step=cp.step))
    number = int((now - state.opened_at) / cfg.status_every)
    if number > state.status_updates:
        # Only the latest one: after a long outage the team needs the current state, not a backlog.
        actions.append(ClockAction("status_update", state.opened_at + number * cfg.status_every, number=number))
    return sorted(actions, key=lambda a: a.due_at)


def checkpoint(cfg: IncidentsConfig, step: str) -> CheckpointConfig:
    for cp in cfg.checkpoints:
        if cp.step == step:
            return cp
    raise KeyError(step)


def clock_view(state: ClockState, cfg: IncidentsConfig, now: datetime, locale: str = "zh-CN") -> dict[str, Any]:
    """The clock as templates and the console show it."""
    steps = []
    next_cp = None
    for cp in sorted(cfg.checkpoints, key=lambda c: c.at):
        due = state.opened_at + cp.at
        done_at = state.steps_done.get(cp.step)
        if done_at is not None:
            st = "done" if done_at <= due else "done_late"
        else:
            st = "overdue" if now > due else "pending"
            if next_cp is None:
                next_cp = {"step": cp.step, "title": step_title(cp, locale), "at": due.isoformat(),
                           "seconds_left": int((due - now).total_seconds())}
        steps.append({"step": cp.step, "title": step_title(cp, locale), "due": due.isoformat(),
                      "done_at": done_at.isoformat() if done_at else None, "state": st})
    deadline = state.opened_at + cfg.deadline
    return {
        "opened_at": state.opened_at.isoformat(),
        "deadline": deadline.isoformat(),
        "seconds_left": int((deadline - now).total_seconds()),
        "next_checkpoint": next_cp,
        "steps": steps,
        "silenced_until": state.silenced_until.isoformat() if state.silenced_until else None,
    }


def closing_summary(state: ClockState, cfg: IncidentsConfig, resolved_at: datetime) -> dict[str, Any]:
    """Time to acknowledge, time to first public response, and whether the clock was kept."""

    def secs(at: datetime | None) -> int | None:
        return None if at is None else int((at - state.opened_at).total_seconds())

    first = state.steps_done.get(cfg.first_response_step)
    kept = all(
        (done := state.steps_done.get(cp.step)) is not None and done <= state.opened_at + cp.at
        for cp in cfg.checkpoints
    )
    return {
        "opened_at": state.opened_at.isoformat(),
        "resolved_at": resolved_at.isoformat(),
        "duration_seconds": secs(resolved_at),
        "time_to_ack_seconds": secs(state.acknowledged_at),
        "time_to_first_response_seconds": secs(first),
        "clock_kept": kept,
        "steps_done": {k: v.isoformat() for k, v in state.steps_done.items()},
    }


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
