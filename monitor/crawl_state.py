"""What a spider may know from the database about its own source, and the one thing it
may write there: its incremental reading state.

Spiders fetch and parse; they never open a session nor import the ORM. The crawl's
:class:`~crawlers.context.IngestContext` hands each one a :class:`CrawlState` for its
source that answers exactly the questions spiders ask: which posts are already stored
(paging stops there), whether this run must page to full depth, which follower counts
are known, and where reading stopped last time (file offsets, kept in ``source_state``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.clock import Clock
from monitor.db import session_scope
from monitor.models import Mention, SourceState
from monitor.source_health import previous_run_clean


class CrawlState:
    """One source's stored facts, as its spider needs them during a run."""

    def __init__(self, factory: sessionmaker[Session], source_id: str, clock: Clock):
        self.factory = factory
        self.source_id = source_id
        self.clock = clock

    def known_ids(self, external_ids: Iterable[str]) -> set[str]:
        """Which of these posts this source has stored already."""
        ids = list(external_ids)
        if not ids:
            return set()
        with session_scope(self.factory) as s:
            return set(s.scalars(
                select(Mention.external_id).where(Mention.source_id == self.source_id, Mention.external_id.in_(ids))
            ))

    def needs_full_depth(self, current_run_id: int | None = None) -> bool:
        """Whether a run must page to full depth: the source's run before ``current_run_id``
        did not finish cleanly (killed, crashed, failed) or there was none, so posts past
        the known ones may be missing."""
        with session_scope(self.factory) as s:
            return not previous_run_clean(s, self.source_id, current_run_id)

    def recent_followers(self, author_ids: Iterable[str], within: timedelta) -> dict[str, int]:
        """Follower counts stored with this source's mentions fetched in the last ``within``
        (by the crawl's clock), for those of ``author_ids`` that have one."""
        ids = list(author_ids)
        if not ids:
            return {}
        since = self.clock.now() - within
        with session_scope(self.factory) as s:
            rows = s.execute(
                select(Mention.author_id, Mention.author_followers).where(
                    Mention.source_id == self.source_id, Mention.author_id.in_(ids), Mention.fetched_at >= since,
                    Mention.author_followers.is_not(None),
                )
            ).all()
        return {a: f for a, f in rows}

    def load(self) -> dict[str, dict[str, Any]]:
        """The source's reading state: one value per key (a file's offset, a cache)."""
        with session_scope(self.factory) as s:
            return {r.key: dict(r.value) for r in s.scalars(select(SourceState).where(SourceState.source_id == self.source_id))}

    def save(self, values: Mapping[str, Mapping[str, Any]]) -> None:
        """Store these keys of the reading state (the others stay as they are)."""
        # Stamped with the wall clock: it says when the row was written, not the crawl's time.
        now = datetime.now(timezone.utc)
        with session_scope(self.factory) as s:
            for key, value in values.items():
                row = s.get(SourceState, (self.source_id, key))
                if row is None:
                    s.add(SourceState(source_id=self.source_id, key=key, value=value, updated_at=now))
                else:
                    row.value, row.updated_at = value, now
