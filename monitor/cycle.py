"""One evaluation cycle: incidents and the clock, then the outbox.

Evaluation and enqueueing share one transaction, so an incident change and the
notifications it causes are stored together or not at all; delivery is separate and
retried, so a channel that is down never loses what the engine decided to say.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from alerts.outbox import enqueue
from monitor.clock import Clock
from monitor.config import Config
from monitor.db import session_scope
from monitor.incidents import EvaluationReport, evaluate
from monitor.notifications import Notification
from monitor.source_health import failing_sources

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    """What one cycle did."""

    evaluation: EvaluationReport = field(default_factory=EvaluationReport)
    enqueued: int = 0

    @property
    def notifications(self) -> list[Notification]:
        return self.evaluation.notifications


def enqueue_notifications(session: Session, notifications: list[Notification], config: Config, clock: Clock) -> int:
    """Write notifications to the outbox (one row per routed channel); returns rows added."""
    if not notifications:
        return 0
    return len(enqueue(session, notifications, config, clock.now()))


def evaluate_and_enqueue(config: Config, factory: sessionmaker[Session], clock: Clock) -> CycleReport:
    """Evaluate every brand at the clock's time and write what must be said to the outbox."""
    now = clock.now()
    with session_scope(factory) as s:
        evaluation = evaluate(s, config, now)
        evaluation.notifications.extend(failing_sources(s, config, now))
        enqueued = enqueue_notifications(s, evaluation.notifications, config, clock)
    for iid in evaluation.opened:
        log.warning("incident #%d opened", iid)
    for iid, before, after in evaluation.escalated:
        log.warning("incident #%d escalated %s -> %s", iid, before, after)
    return CycleReport(evaluation, enqueued)
