"""The outbox: every notification is stored before anything is sent."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.routes import channels_for, may_page_everyone
from monitor.config import Config
from monitor.models import OutboxMessage
from monitor.notifications import Notification


def enqueue(session: Session, notifications: list[Notification], config: Config, now: datetime) -> list[OutboxMessage]:
    """One outbox row per (routed channel, idempotency key); keys already there are skipped.

    Runs in the caller's transaction, so the incident change and its notifications are
    stored together.
    """
    wanted: list[tuple[str, Notification]] = [(ch, n) for n in notifications for ch in channels_for(n, config)]
    if not wanted:
        return []
    existing = set(
        session.execute(
            select(OutboxMessage.channel, OutboxMessage.idempotency_key).where(
                tuple_(OutboxMessage.channel, OutboxMessage.idempotency_key).in_([(c, n.key) for c, n in wanted])
            )
        ).all()
    )
    rows = []
    for channel, note in wanted:
        if (channel, note.key) in existing:
            continue
        existing.add((channel, note.key))
        payload = asdict(note)
        payload["also_tiers"] = list(note.also_tiers)
        payload["mention_all"] = may_page_everyone(note, config, channel)
        row = OutboxMessage(
            created_at=now, channel=channel, kind=note.kind, idempotency_key=note.key, incident_id=note.incident_id,
            payload=payload, status="pending", attempts=0, next_attempt_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            # Only a concurrent enqueue of the same key is fine; anything else is a real fault.
            raced = session.execute(
                select(OutboxMessage.id).where(OutboxMessage.channel == channel, OutboxMessage.idempotency_key == note.key)
            ).first()
            if raced is None:
                raise
            continue
        rows.append(row)
    return rows
