"""Source health: last runs per source, and an ops notice when one keeps failing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.models import SourceRun
from monitor.notifications import Notification
from monitor.secrets import redact


@dataclass(frozen=True)
class SourceHealth:
    id: str
    kind: str
    enabled: bool
    last_run: datetime | None
    last_ok: bool | None
    last_success: datetime | None
    last_items: int | None
    last_error: str | None
    failing_streak: int
    failing_since: datetime | None = None  # start of the first failed run of the streak


# A run cut short because the service was stopping (not the source's fault) is kept as a
# record but judged neither way: it neither starts nor ends a failure streak.
SHUTDOWN = "shutdown"


def _recent_runs(session: Session, source_id: str, limit: int) -> list[SourceRun]:
    """A source's finished runs, newest first, without the ones a shutdown cut short."""
    runs = session.scalars(
        select(SourceRun).where(SourceRun.source_id == source_id, SourceRun.finished_at.is_not(None))
        .order_by(SourceRun.started_at.desc(), SourceRun.id.desc()).limit(limit)
    ).all()
    return [r for r in runs if (r.stats or {}).get("interrupted") != SHUTDOWN]


def _failure_streak(runs: list[SourceRun]) -> list[SourceRun]:
    """The failed runs since the last successful one, newest first."""
    streak = []
    for r in runs:
        if r.ok:
            break
        streak.append(r)
    return streak


def source_health(session: Session, config: Config, history: int = 20) -> list[SourceHealth]:
    """One line per configured source, from its recent runs."""
    out = []
    for src in config.sources:
        runs = _recent_runs(session, src.id, history)
        streak = _failure_streak(runs)
        last_success = next((r.finished_at for r in runs if r.ok), None)
        if last_success is None:
            last_success = session.scalar(
                select(SourceRun.finished_at).where(SourceRun.source_id == src.id, SourceRun.ok.is_(True))
                .order_by(SourceRun.finished_at.desc()).limit(1)
            )
        last = runs[0] if runs else None
        out.append(SourceHealth(
            id=src.id, kind=src.kind, enabled=src.enabled, last_run=last.started_at if last else None,
            last_ok=last.ok if last else None, last_success=last_success, last_items=last.items if last else None,
            # Runs stored before errors were redacted at write time may still carry a secret.
            last_error=redact(last.error_message) if last and not last.ok and last.error_message else None,
            failing_streak=len(streak),
            failing_since=streak[-1].started_at if streak else None,
        ))
    return out


def last_run_ids(session: Session, source_ids: list[str]) -> dict[str, int]:
    """The newest ``source_runs`` id of each source (0 for none): taken before a crawl starts,
    so :func:`close_interrupted_runs` knows which runs that crawl opened."""
    rows = session.execute(
        select(SourceRun.source_id, func.max(SourceRun.id)).where(SourceRun.source_id.in_(source_ids))
        .group_by(SourceRun.source_id)
    ).all()
    ids = {source_id: 0 for source_id in source_ids}
    ids.update({source_id: int(last) for source_id, last in rows if last is not None})
    return ids


def close_interrupted_runs(session: Session, before: dict[str, int], at: datetime, why: str,
                           shutdown: bool = False) -> None:
    """Record a crawl that never finished (timed out, its process died or was killed) as a
    failed run of each of its sources; with ``shutdown``, as a run the stopping service cut
    short, which does not count as a failure of the source.

    The crawl's own record stays open when its process is gone before the spider closes;
    an open record counts for nothing, so without this a source that always hangs would
    never show as failing nor raise the ops notice. A source whose crawl died before it
    opened a record gets one.
    """
    message = redact(why)[:2000]
    for source_id, last_id in before.items():
        runs = session.scalars(
            select(SourceRun).where(SourceRun.source_id == source_id, SourceRun.id > last_id,
                                    SourceRun.finished_at.is_(None))
        ).all()
        if not runs:
            finished = session.scalar(
                select(func.count()).select_from(SourceRun).where(SourceRun.source_id == source_id, SourceRun.id > last_id))
            if finished:
                continue  # the spider closed its record before the process went: it says what happened
            runs = [SourceRun(source_id=source_id, started_at=at, stats={})]
            session.add(runs[0])
        for run in runs:
            run.finished_at, run.ok, run.errors = at, False, max(run.errors or 0, 1)
            run.error_message = message
            if shutdown:
                run.stats = {**(run.stats or {}), "interrupted": SHUTDOWN}


def failing_sources(session: Session, config: Config, now: datetime) -> list[Notification]:
    """An ops notice for each source whose last ``fail_notice_after`` runs all failed.

    The key names the first failed run of the streak, so a streak is announced once,
    and a new streak after a recovery is announced again.
    """
    notes = []
    for src in config.sources:
        if not src.enabled:
            continue
        streak = _failure_streak(_recent_runs(session, src.id, 200))
        if len(streak) < src.fail_notice_after:
            continue
        first = streak[-1]
        notes.append(Notification(
            kind="ops_notice", key=f"source:{src.id}:failing:{first.id}", brand=None, tier=None, incident_id=None,
            context={
                "title": f"source {src.id} ({src.kind}) has failed {len(streak)} runs in a row",
                "lines": [f"since {first.started_at:%Y-%m-%d %H:%M} UTC", f"last error: {redact(streak[0].error_message or 'unknown')}",
                          "other sources are unaffected; check the source's cookies, token or base URL"],
                "source_id": src.id,
            },
        ))
    return notes
