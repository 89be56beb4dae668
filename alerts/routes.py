"""Which channels a notification goes to, and where it may ping everyone. Pure."""

from __future__ import annotations

from monitor.config import Config, RoutesConfig
from monitor.notifications import Notification

INCIDENT_KINDS = {"alert", "escalation", "reminder", "deadline_missed", "status_update", "resolved"}
# Incident kinds that may have a route of their own; without one they follow the tier's route.
OWN_ROUTE_KINDS = ("reminder", "deadline_missed", "status_update", "resolved")


def _unique(names: list[str]) -> list[str]:
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


def _tier_route(routes: RoutesConfig, tier: str) -> list[str]:
    return list(getattr(routes, tier))


def channels_for(note: Notification, config: Config) -> list[str]:
    """Channel names for a notification, in route order, without repeats.

    Alerts and escalations follow their tier's route. Reminders, missed deadlines,
    status updates and resolutions follow ``routes.<kind>`` when the config sets it,
    else their tier's route. A missed deadline also goes to the routes of
    ``also_tiers`` (the next tier up). Ops notices and digests have their own routes.
    """
    routes = config.routes
    names: list[str] = []
    if note.kind == "ops_notice":
        names = list(routes.ops)
    elif note.kind == "digest":
        names = list(routes.digest)
    elif note.tier:
        own = getattr(routes, note.kind) if note.kind in OWN_ROUTE_KINDS else None
        names = list(own) if own is not None else _tier_route(routes, note.tier)
        for tier in note.also_tiers:
            names += _tier_route(routes, tier)
    return _unique(names)


def escalated_to(note: Notification) -> str | None:
    """The tier a missed deadline is escalated to: the next tier up (red stays red)."""
    if note.kind != "deadline_missed" or not note.tier:
        return None
    return note.also_tiers[0] if note.also_tiers else note.tier


def may_page_everyone(note: Notification, config: Config, channel: str | None = None) -> bool:
    """Whether this notification may ping everyone (``@channel`` / ``@all``) in ``channel``.

    New alerts and escalations: when their tier is in ``routes.page_all``. A missed
    deadline: only in the channels of the route of the tier it is escalated to, and only
    when *that* tier is in ``page_all`` (so a yellow incident's missed deadline pings
    orange's channels if orange pages everyone, and never yellow's own). Nothing else
    ever pings everyone.
    """
    page_all = config.routes.page_all
    if note.kind in ("alert", "escalation"):
        return note.tier in page_all
    if note.kind == "deadline_missed":
        target = escalated_to(note)
        if target not in page_all:
            return False
        return channel is None or channel in _tier_route(config.routes, target)  # type: ignore[arg-type]
    return False
