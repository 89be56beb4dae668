"""The one mention shape used between the ingest pipeline and the store.

A mention after normalisation: typed, UTC times, integer counts. The Scrapy item
(``crawlers.items.MentionItem``) is the raw form a spider yields; the ORM row
(``monitor.models.Mention``) is the stored form; ``monitor.figures.MentionFacts`` is
what the incident engine reads. Nothing else carries a mention around.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.scoring import Score


@dataclass
class NormalMention:
    source_id: str
    external_id: str
    text: str
    published_at: datetime
    fetched_at: datetime
    url: str | None = None
    author_id: str | None = None
    author_name: str | None = None
    author_followers: int | None = None
    author_verified: bool | None = None
    author_verified_type: int | None = None
    # None: the source did not give the count. A re-crawl then keeps the stored one
    # instead of resetting it to 0; a new mention stores 0.
    reposts: int | None = None
    comments: int | None = None
    likes: int | None = None
    language: str | None = None
    # Filled in by later pipelines.
    brand: str | None = None
    existing_id: int | None = None
    stored: NormalMention | None = None  # the stored copy, when this is a re-crawl
    score: Score | None = None
