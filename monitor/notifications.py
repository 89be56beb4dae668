"""The hand-off between the incident engine (``monitor/``) and delivery (``alerts/``).

The engine decides *that* something must be said and gathers the facts into a
:class:`Notification`; ``alerts`` decides *where* (routes) and *how* (templates,
channels), writes it to the outbox and delivers it. The context is plain JSON-able
data so it can be stored in the outbox and rendered again after a restart.

Shared vocabulary (stable strings stored in the database):

- tiers, lowest first: ``TIERS``
- notification kinds: ``KINDS``
- incident statuses: ``open`` → ``acknowledged`` → ``resolved``
- incident event kinds (``incident_events.kind``): ``opened``, ``evidence`` (figures
  changed), ``escalated``, ``acknowledged``, ``step_done`` (detail: ``{"step": id}``),
  ``reminder``, ``deadline_missed``, ``status_update``, ``silenced``, ``resolved``
  (detail: ``{"how": "manual"|"quiet", "summary": {...}}``), ``note``.
- clock step ids (defaults; configurable): ``contact`` (+1 h, poster contacted
  privately), ``statement`` (+2 h, official statement published — the "first public
  response"), ``solution`` (+4 h, solution published).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TIERS: tuple[str, ...] = ("yellow", "orange", "red")

KINDS: tuple[str, ...] = (
    "alert",  # an incident opened
    "escalation",  # its tier rose
    "reminder",  # a checkpoint passed with its step not done
    "deadline_missed",  # also routed to the next tier's route
    "status_update",  # every 4 h while open: what changed
    "resolved",  # closing summary
    "ops_notice",  # a source keeps failing, a config edit was rejected ...
    "digest",  # the managers' daily summary card
)


def tier_rank(tier: str) -> int:
    """0 for yellow, 1 for orange, 2 for red."""
    return TIERS.index(tier)


def next_tier(tier: str) -> str:
    """The tier above (red stays red): where a missed deadline is escalated to."""
    return TIERS[min(tier_rank(tier) + 1, len(TIERS) - 1)]


@dataclass(frozen=True)
class Notification:
    """One thing to tell people.

    ``key`` is the idempotency key: the same key is never delivered twice to the same
    channel (e.g. ``incident:12:escalated:red``, ``incident:12:reminder:statement``).
    ``tier`` selects the route (with ``kind``); ``context`` holds every fact a template
    may use (brand, tier, cause, figures, top posts, clock, playbook step ...).
    """

    kind: str
    key: str
    brand: str | None
    tier: str | None
    incident_id: int | None
    context: dict[str, Any] = field(default_factory=dict)
    # Extra tiers whose routes also receive it (a missed deadline goes one tier up).
    also_tiers: tuple[str, ...] = ()
