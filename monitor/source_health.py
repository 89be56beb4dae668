"""Source health: the one owner of a source's run records (``source_runs``).

It opens a run, closes it with the outcome judged from the crawl's stats (one rule,
:func:`judge_run`, for the crawl extension, the crawl runner and the distributed
rounds), closes what a dead or stopped crawl left open, and reads the records back:
last runs per source (``repmon sources``, ``repmon status``, the digest, the web page)
and an ops notice when a source keeps failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.models import Mention, SourceRun
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
# Scrapy's close reason of a crawl that ran to its end; any other reason ended it early.
FINISHED = "finished"


# ---------------------------------------------------------------------------- judging a run


def run_errors(stats: Mapping[str, Any]) -> int:
    """Faults in a crawl's stats: source errors the spider reported (HTTP errors and network
    faults reach it through errbacks) and exceptions raised while parsing.

    Scrapy's ``log_count/ERROR`` is not used: with several crawlers in one process it
    counts the others' errors too.
    """
    n = stats.get("repmon/source_errors", 0)
    n += stats.get("spider_exceptions/count", 0)
    n += stats.get("repmon/ingest_errors", 0)
    return int(n)


def describe_faults(stats: Mapping[str, Any]) -> str:
    """What went wrong, from the stats alone: for a run with faults but no message."""
    parts = []
    for key, label in (
        ("httperror/response_ignored_count", "HTTP error responses"),
        ("downloader/exception_count", "download errors"),
        ("spider_exceptions/count", "errors while parsing"),
        ("repmon/ingest_errors", "mentions that could not be scored or stored (see the log)"),
    ):
        if stats.get(key):
            parts.append(f"{stats[key]} {label}")
    codes = sorted(k.rsplit("/", 1)[-1] for k in stats if k.startswith("downloader/response_status_count/") and not k.endswith(("/200", "/301", "/302", "/304")))
    if codes:
        parts.append("status " + ", ".join(codes))
    return "; ".join(parts) or "errors during crawl"


@dataclass(frozen=True)
class RunOutcome:
    """How one run of one source went, judged from its crawl stats by :func:`judge_run`."""

    ok: bool
    errors: int
    error: str | None  # the source errors and faults, joined; not redacted yet
    items: int = 0  # records read: new + updated + unchanged + dropped
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    dropped: int = 0
    negatives: dict[str, int] = field(default_factory=dict)  # new negative mentions per brand
    dropped_reasons: dict[str, int] = field(default_factory=dict)


def judge_run(stats: Mapping[str, Any], source_errors: Iterable[str] = (), reason: str | None = FINISHED) -> RunOutcome:
    """The outcome of a run: failed when it had a fault (:func:`run_errors`), a source error
    the spider reported, or ended for any ``reason`` but ``finished``; ok otherwise.

    A run with faults but no message is described from its stats, so a failed run always
    says why. ``reason`` None (or "") is a run with no close reason to judge: not early.
    """
    messages = list(source_errors)
    early = bool(reason) and reason != FINISHED
    if early:
        messages.append(f"crawl ended early: {reason}")
    errors = run_errors(stats) + (1 if early else 0)
    if errors and not messages:
        messages.append(describe_faults(stats))
    return RunOutcome(
        ok=errors == 0 and not messages,
        errors=errors,
        error="; ".join(messages) or None,
        items=int(stats.get("repmon/items", 0)),
        new=int(stats.get("repmon/new", 0)),
        updated=int(stats.get("repmon/updated", 0)),
        unchanged=int(stats.get("repmon/unchanged", 0)),
        dropped=int(stats.get("repmon/dropped", 0)),
        negatives={k.split("/", 2)[2]: int(v) for k, v in stats.items() if k.startswith("repmon/negative/")},
        dropped_reasons={k.split("/", 2)[2]: int(v) for k, v in stats.items() if k.startswith("repmon/dropped/")},
    )


# ---------------------------------------------------------------------------- writing the record


def open_run(session: Session, source_id: str, at: datetime, stats: Mapping[str, Any] | None = None) -> int:
    """Open a run of a source (finished later by :func:`close_run` or :func:`close_round`); its id."""
    run = SourceRun(source_id=source_id, started_at=at, stats=dict(stats or {}))
    session.add(run)
    session.flush()
    return run.id


def _finish(run: SourceRun, at: datetime, outcome: RunOutcome) -> None:
    run.finished_at = at
    run.items, run.new, run.updated, run.dropped = outcome.items, outcome.new, outcome.updated, outcome.dropped
    run.errors = outcome.errors
    run.ok = outcome.ok
    # Errors quote URLs and answers, which may carry a ${ENV} secret (a token in a URL).
    run.error_message = redact(outcome.error or "")[:2000] or None


def close_run(session: Session, run_id: int | None, at: datetime, stats: Mapping[str, Any],
              source_errors: Iterable[str] = (), reason: str | None = FINISHED) -> RunOutcome | None:
    """Close a run opened by :func:`open_run` with the outcome of its crawl; that outcome
    (None when the run is not there). The crawl's numeric and text stats are kept with it."""
    run = session.get(SourceRun, run_id) if run_id is not None else None
    if run is None:
        return None
    outcome = judge_run(stats, source_errors, reason)
    _finish(run, at, outcome)
    kept = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
    if reason == SHUTDOWN:  # Scrapy's graceful stop: the service is stopping, the source did nothing wrong
        kept["interrupted"] = SHUTDOWN
    run.stats = kept
    return outcome


def close_round(session: Session, source_id: str, at: datetime, done: bool, round_id: Any) -> None:
    """Distributed mode: close the open run of a source's round ``round_id``.

    Workers store mentions without a run record of their own, so the round's items are
    the mentions of the source fetched since the run opened. A round that did not finish
    (``done`` false: it ran past ``round_timeout``, a worker died with its requests) is
    a source error of that run.
    """
    run = session.scalars(
        select(SourceRun).where(SourceRun.source_id == source_id, SourceRun.finished_at.is_(None))
        .order_by(SourceRun.id.desc()).limit(1)
    ).first()
    if run is None:
        return
    items = int(session.scalar(select(func.count()).select_from(Mention).where(
        Mention.source_id == source_id, Mention.fetched_at >= run.started_at)) or 0)
    stats: dict[str, Any] = {"repmon/items": items, "repmon/new": items}
    errors = []
    if not done:
        stats["repmon/source_errors"] = 1
        errors.append(f"round {round_id} did not finish in time (a worker died?); next round at full depth")
    _finish(run, at, judge_run(stats, errors))


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


def previous_run_clean(session: Session, source_id: str, current_run_id: int | None = None) -> bool:
    """Whether the source's last run before ``current_run_id`` finished and was ok (False
    when there was none): after an unclean one, the next run pages to full depth."""
    last = session.scalars(
        select(SourceRun).where(SourceRun.source_id == source_id, SourceRun.id != (current_run_id or -1))
        .order_by(SourceRun.id.desc()).limit(1)
    ).first()
    return last is not None and last.finished_at is not None and bool(last.ok)


# ---------------------------------------------------------------------------- reading the record


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


def failing_now(session: Session, config: Config) -> list[SourceHealth]:
    """The enabled sources whose last runs failed (``repmon status``)."""
    return [h for h in source_health(session, config) if h.enabled and h.failing_since is not None]


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
