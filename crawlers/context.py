"""What the ingest pipelines need from the outside world, handed in through Scrapy settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.orm import Session, sessionmaker

from monitor.clock import Clock, SystemClock
from monitor.config import Config
from monitor.crawl_state import CrawlState

SETTINGS_KEY = "REPMON_CONTEXT"


@dataclass
class IngestContext:
    """Config, database and clock for one crawl process.

    The pipelines use the database directly; spiders only through :meth:`crawl_state`.
    """

    config: Config
    session_factory: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)

    def __deepcopy__(self, memo: dict) -> "IngestContext":
        # Scrapy deep-copies settings per crawler; the context is shared on purpose.
        return self

    @cached_property
    def scorer(self):
        # Built lazily and once: loading sentiment models is the slow part of start-up.
        from monitor.scoring import Scorer

        return Scorer(self.config)

    def crawl_state(self, source_id: str) -> CrawlState:
        """What the spider of ``source_id`` may read from (and write to) the database."""
        return CrawlState(self.session_factory, source_id, self.clock)
