"""Delivering the outbox: claim due messages, send, mark; retry with backoff.

- Order: messages of one incident reach a channel in the order they were written; a
  message waiting for a retry holds back the later ones of its incident on that channel.
- A channel that fails temporarily (429, 5xx, network, full disk) pauses that channel
  only — all its pending messages wait until the retry time (Retry-After if given,
  else exponential backoff); other channels go on.
- A permanent refusal, or temporary failures going on ``delivery.give_up_after`` (24 h)
  after the message was written (or ``delivery.max_attempts`` of them, when set), marks
  the message ``failed`` with its error; nothing is ever deleted. A rate-limited answer
  with Retry-After is not a failed attempt: it is the channel saying when to come back.
- A message is claimed (``sending``, with a lease) before it is sent. If the process
  dies between sending and marking it sent, the lease expires and the message is due
  again with an unknown outcome: a channel that can read back (Slack with a bot token,
  the file channel) is asked first and the message is marked sent if it arrived; the
  others send it again — at most one duplicate of that one message, never a storm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts.base import Channel, DeliveryResult, Outbound, already_delivered
from alerts.channels import build_channel
from alerts.render import Renderer
from monitor.clock import Clock
from monitor.config import Config
from monitor.db import session_scope
from monitor.models import OutboxMessage

log = logging.getLogger(__name__)

UNSENT = ("pending", "sending")


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(config: Config, attempts: int, retry_after: float | None) -> timedelta:
    """Delay before the next attempt: the far end's Retry-After, else doubling from ``backoff``."""
    d = config.delivery
    delay = d.backoff * (2 ** max(attempts - 1, 0))
    delay = min(delay, d.max_backoff)
    if retry_after is not None:
        delay = max(timedelta(seconds=retry_after), timedelta(seconds=1))
    return delay


class Deliverer:
    """Holds channel clients and renderers between rounds (the service keeps one)."""

    def __init__(self, config: Config, channels: dict[str, Channel] | None = None):
        self.config = config
        self._channels: dict[str, Channel] = dict(channels or {})
        self._renderers: dict[str, Renderer] = {}

    def channel(self, name: str) -> Channel | None:
        if name not in self._channels:
            if name not in self.config.channels:
                return None
            self._channels[name] = build_channel(name, self.config)
        return self._channels[name]

    def renderer(self, flavour: str) -> Renderer:
        if flavour not in self._renderers:
            self._renderers[flavour] = Renderer(
                self.config.resolve_path(self.config.templates.dir), flavour,
                max_chars=self.config.delivery.max_message_chars, timezone=self.config.timezone,
                public_url=self.config.web.public_url,
            )
        return self._renderers[flavour]

    def deliver_due(self, factory: sessionmaker[Session], clock: Clock, limit: int = 500) -> DeliveryReport:
        """One delivery round over everything due now."""
        report = DeliveryReport()
        now = clock.now()
        with session_scope(factory) as s:
            rows = s.execute(
                select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.incident_id, OutboxMessage.next_attempt_at,
                       OutboxMessage.status)
                .where(OutboxMessage.status.in_(UNSENT))
                .order_by(OutboxMessage.id)
                .limit(limit)
            ).all()
        paused: set[str] = set()
        held: set[tuple[str, int]] = set()
        for row in rows:
            key = (row.channel, row.incident_id) if row.incident_id is not None else None
            if row.channel in paused or (key and key in held):
                report.waiting += 1
                continue
            if row.next_attempt_at > now:
                if key:
                    held.add(key)
                report.waiting += 1
                continue
            outcome = self._deliver_one(factory, row.id, row.next_attempt_at, now, unknown=row.status == "sending")
            if outcome is None:
                continue  # claimed by another process meanwhile
            if outcome.ok:
                report.sent += 1
            elif outcome.retry:
                report.retried += 1
                paused.add(row.channel)
                if key:
                    held.add(key)
                report.errors.append(outcome.error or "")
            else:
                report.failed += 1
                report.errors.append(outcome.error or "")
        return report

    def _deliver_one(self, factory: sessionmaker[Session], row_id: int, seen_next: datetime, now: datetime,
                     unknown: bool = False) -> DeliveryResult | None:
        lease = self.config.delivery.sending_lease
        with session_scope(factory) as s:
            claimed = s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.status.in_(UNSENT), OutboxMessage.next_attempt_at == seen_next)
                .values(status="sending", next_attempt_at=now + lease, attempts=OutboxMessage.attempts + 1)
            ).rowcount
            if claimed != 1:
                return None
            msg = s.get(OutboxMessage, row_id)
            assert msg is not None
            channel_name, attempts = msg.channel, msg.attempts
            outbound = Outbound(msg.idempotency_key, msg.kind, msg.payload.get("tier"), dict(msg.payload),
                                bool(msg.payload.get("mention_all")))
        channel = self.channel(channel_name)
        if channel is None:
            result = DeliveryResult.permanent(f"channel {channel_name!r} is not in the config any more")
        elif unknown and self._arrived(channel, outbound):
            log.info("outbox #%d to %s: the interrupted send had arrived; not sending it again", row_id, channel_name)
            result = DeliveryResult.success()
        else:
            try:
                result = channel.send(outbound, self.renderer(channel.flavour))
            except Exception as exc:  # a bug or an unforeseen fault in a channel must not stop delivery
                log.exception("channel %s raised", channel_name)
                result = DeliveryResult.temporary(f"{channel_name}: {exc.__class__.__name__}")
        self._mark(factory, row_id, channel_name, attempts, result, now)
        return result

    @staticmethod
    def _arrived(channel: Channel, outbound: Outbound) -> bool:
        try:
            return already_delivered(channel, outbound) is True
        except Exception:  # a failed look-up must not stop the message: sending again is the safe side
            log.exception("channel %s: checking for an earlier send failed", channel.name)
            return False

    def _mark(self, factory: sessionmaker[Session], row_id: int, channel: str, attempts: int, result: DeliveryResult,
              now: datetime) -> None:
        with session_scope(factory) as s:
            msg = s.get(OutboxMessage, row_id)
            assert msg is not None
            if result.ok:
                msg.status, msg.sent_at, msg.last_error = "sent", now, None
                return
            msg.last_error = (result.error or "failed")[:1000]
            limits = self.config.delivery
            give_up = not result.retry or now - msg.created_at >= limits.give_up_after
            if result.retry and result.retry_after is not None:
                attempts -= 1  # rate limited: the claim's count is given back
                msg.attempts = attempts
            elif limits.max_attempts is not None and attempts >= limits.max_attempts:
                give_up = True
            if give_up:
                msg.status = "failed"
                log.error("outbox #%d to %s failed for good: %s", row_id, channel, msg.last_error)
                return
            retry_at = now + backoff(self.config, attempts, result.retry_after)
            msg.status, msg.next_attempt_at = "pending", retry_at
            # The whole channel waits (Retry-After is about the channel, and order matters).
            s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.channel == channel, OutboxMessage.status == "pending",
                       OutboxMessage.next_attempt_at < retry_at, OutboxMessage.id != row_id)
                .values(next_attempt_at=retry_at)
            )
            log.warning("outbox #%d to %s: %s; retry at %s", row_id, channel, msg.last_error, retry_at.isoformat())


def deliver_due(factory: sessionmaker[Session], config: Config, clock: Clock) -> DeliveryReport:
    """One delivery round with channels built from the config."""
    return Deliverer(config).deliver_due(factory, clock)
