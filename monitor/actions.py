"""Acting on an incident by hand: acknowledge, mark a step done, silence, resolve.

One path for the CLI (``repmon incidents ack|step|silence|resolve``) and the web console,
so both record the same history (the person's bare name as actor, ``via`` cli / web in the
event detail), refuse the same things with the engine's words (no such incident, unknown
step, already resolved) and deliver the same way.

Delivery: what an action queues is delivered right away, in the same call, rather than
left for the service's next delivery round. Only ``resolve`` queues anything today (the
closing summary): the PR team should see it in their channel the moment they close the
incident, also when no service is running (a one-off ``repmon incidents resolve``). The
CLI has always done this and ``tests/test_incidents.py`` pins it; the console used to
leave it to the service. An action that queues nothing sends nothing. A delivery round
sends everything due in the outbox, not only the new message, like the service's own
round; what cannot go out now (a channel down or rate limited) stays in the outbox and the
service retries it as usual. The outbox claims a message with a lease before sending it,
so this round and the service's never send one message twice.

Application layer: it writes to the outbox and delivers through ``alerts/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from alerts.delivery import Deliverer, DeliveryReport
from monitor.clock import FixedClock
from monitor.config import Config
from monitor.cycle import enqueue_notifications
from monitor.db import session_scope
from monitor.incidents import acknowledge, clock_state, get_incident, mark_step, resolve, silence
from monitor.models import Incident
from monitor.notifications import Notification

ACTIONS = ("ack", "step", "silence", "resolve")


@dataclass(frozen=True)
class ActionOutcome:
    """What one action did.

    ``recorded`` is False when the incident had been acknowledged, or the step marked
    done, before: nothing new was written, and ``earlier_by`` / ``earlier_at`` say who
    did it and when (``earlier_by`` is None for a step). ``queued`` counts the outbox rows
    the action added; ``delivery`` is the delivery round run for them (None if none)."""

    incident_id: int
    action: str
    recorded: bool = True
    earlier_by: str | None = None
    earlier_at: datetime | None = None
    queued: int = 0
    delivery: DeliveryReport | None = None


def act(config: Config, factory: sessionmaker[Session], incident_id: int, action: str, *, actor: str, via: str,
        now: datetime, step: str = "", until: datetime | None = None) -> ActionOutcome:
    """Do ``action`` (one of ``ACTIONS``) on an incident at ``now`` as ``actor``, coming ``via``
    cli or web; then deliver what it queued (see the module docstring).

    ``step`` names the clock step for ``step``; ``until`` is the end of a ``silence``.
    Raises ``monitor.incidents.IncidentError`` for an unknown incident, an unknown step or
    an incident already resolved: nothing is written then."""
    if action not in ACTIONS:
        raise ValueError(f"unknown incident action {action!r} (actions: {', '.join(ACTIONS)})")
    if action == "silence" and until is None:
        raise ValueError("silence needs an end time (until)")
    with session_scope(factory) as s:
        earlier_by, earlier_at = _earlier(get_incident(s, incident_id), action, step)
        notes = _record(s, config, incident_id, action, actor=actor, via=via, now=now, step=step, until=until)
        queued = enqueue_notifications(s, notes, config, FixedClock(now))
    # Delivered after the commit: the delivery round reads the outbox in its own sessions.
    delivery = Deliverer(config).deliver_due(factory, FixedClock(now)) if queued else None
    return ActionOutcome(incident_id, action, recorded=earlier_at is None, earlier_by=earlier_by,
                         earlier_at=earlier_at, queued=queued, delivery=delivery)


def _earlier(incident: Incident, action: str, step: str) -> tuple[str | None, datetime | None]:
    """Who and when, if this acknowledgement or step was done before (else (None, None))."""
    if action == "ack" and incident.acknowledged_at is not None:
        return incident.acknowledged_by, incident.acknowledged_at
    if action == "step":
        done_at = clock_state(incident).steps_done.get(step)
        if done_at is not None:
            return None, done_at
    return None, None


def _record(s: Session, config: Config, incident_id: int, action: str, *, actor: str, via: str, now: datetime,
            step: str, until: datetime | None) -> list[Notification]:
    """The engine's call for ``action``; it checks the incident is open and the step known."""
    if action == "ack":
        return acknowledge(s, incident_id, actor=actor, now=now, via=via)
    if action == "step":
        return mark_step(s, incident_id, step, actor=actor, now=now, config=config, via=via)
    if action == "silence":
        assert until is not None  # checked in act()
        return silence(s, incident_id, until=until, actor=actor, now=now, via=via)
    return resolve(s, incident_id, actor=actor, now=now, config=config, via=via)
