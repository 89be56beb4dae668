"""Reading and writing mentions and their engagement snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.mention import NormalMention
from monitor.models import EngagementSnapshot, Mention

if TYPE_CHECKING:
    from monitor.scoring import Score


_STORED = (
    Mention.id, Mention.source_id, Mention.external_id, Mention.text, Mention.published_at, Mention.fetched_at,
    Mention.url, Mention.reposts, Mention.comments, Mention.likes, Mention.author_id, Mention.author_name,
    Mention.author_followers, Mention.author_verified, Mention.author_verified_type, Mention.language,
    Mention.brand,
)


def find_mention(session: Session, source_id: str, external_id: str) -> NormalMention | None:
    """The stored copy of the mention with this source and external id, if any.

    It comes back as a :class:`NormalMention` whose ``existing_id`` is the row's id:
    what a re-crawl that leaves fields out falls back to.
    """
    row = session.execute(
        select(*_STORED).where(Mention.source_id == source_id, Mention.external_id == external_id)
    ).first()
    if row is None:
        return None
    values = row._asdict()
    return NormalMention(existing_id=values.pop("id"), **values)


def save_mention(session: Session, m: NormalMention) -> tuple[str, int]:
    """Insert a new mention or update the stored one; returns ("new"|"updated"|"unchanged", id).

    A re-crawl updates the counts and author figures it gives (a count left out, None,
    keeps the stored one) and adds an engagement snapshot of the merged counts when
    they moved (:func:`merge_recrawl`). Counts seen at an older ``fetched_at`` than the
    stored ones (a replayed file, a slow worker) do not overwrite newer ones. If another
    process inserted the same post in between, the insert turns into an update; if
    retention deleted the stored row in between, the update turns into an insert.
    """
    if m.existing_id is None:
        row = Mention(**new_values(m))
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
                session.add(_snapshot(row.id, m.fetched_at, (row.reposts, row.comments, row.likes)))
            return "new", row.id
        except IntegrityError:
            found = find_mention(session, m.source_id, m.external_id)
            if found is None:
                raise
            m.existing_id = found.existing_id
    return _update(session, m)


def new_values(m: NormalMention) -> dict[str, Any]:
    """The columns of a mention stored for the first time (counts not given are 0)."""
    s = m.score
    assert s is not None and m.brand is not None, "score and brand are set before storing"
    return {
        "source_id": m.source_id, "external_id": m.external_id, "url": m.url, "text": m.text,
        "author_id": m.author_id, "author_name": m.author_name, "author_followers": m.author_followers,
        "author_verified": m.author_verified, "author_verified_type": m.author_verified_type,
        "published_at": m.published_at, "fetched_at": m.fetched_at, "first_seen_at": m.fetched_at,
        "reposts": m.reposts or 0, "comments": m.comments or 0, "likes": m.likes or 0, "brand": m.brand,
        **score_values(s, m.language),
    }


def score_values(s: "Score", language: str | None = None) -> dict[str, Any]:
    """The columns a score fills (``language``: the source's, kept when it gave one)."""
    return {"sentiment": s.sentiment, "polarity": s.polarity, "negative": s.negative, "category": s.category,
            "kol": s.kol, "priority": s.priority, "language": language or s.language}


def set_score(row: Mention, s: "Score", language: str | None = None) -> None:
    """Write a score onto a stored mention (``language``: the source's, kept when it gave one)."""
    for column, value in score_values(s, language).items():
        setattr(row, column, value)


def _snapshot(mention_id: int, taken_at: datetime, counts: tuple[int, int, int]) -> EngagementSnapshot:
    reposts, comments, likes = counts
    return EngagementSnapshot(mention_id=mention_id, taken_at=taken_at, reposts=reposts, comments=comments, likes=likes)


COUNTS = ("reposts", "comments", "likes")
# What merge_recrawl reads of the stored row.
MERGE_READS = ("fetched_at", *COUNTS, "text", "negative", "brand")


@dataclass
class Recrawl:
    """What a re-crawl does to the stored row (see :func:`merge_recrawl`)."""

    outcome: str  # "updated" or "unchanged"
    changes: dict[str, Any]  # columns to write; empty when the stored figures are newer
    snapshot: tuple[int, int, int] | None  # the merged counts, when they moved


def merge_recrawl(stored: Mapping[str, Any], m: NormalMention) -> Recrawl:
    """The one rule for a re-crawled post, for the single and the batch store alike.

    ``stored`` holds at least :data:`MERGE_READS` of the stored row. Counts seen at an
    older ``fetched_at`` change nothing; a count or author figure left out (None) keeps
    the stored one; the merged counts are snapshotted when they moved. The outcome is
    "updated" when the counts, the text or the negative flag changed.
    """
    if m.fetched_at < stored["fetched_at"]:
        return Recrawl("unchanged", {}, None)
    before = tuple(stored[k] for k in COUNTS)
    merged = tuple(old if new is None else new for old, new in zip(before, (m.reposts, m.comments, m.likes)))
    changes: dict[str, Any] = {"fetched_at": m.fetched_at, **dict(zip(COUNTS, merged))}
    if m.url:
        changes["url"] = m.url
    for column in ("author_followers", "author_verified", "author_verified_type"):
        if getattr(m, column) is not None:
            changes[column] = getattr(m, column)
    if m.author_name:
        changes["author_name"] = m.author_name
    moved = merged != before
    changed = moved
    if m.score is not None:
        changed = changed or stored["text"] != m.text or stored["negative"] != m.score.negative
        changes.update(text=m.text, brand=m.brand or stored["brand"], **score_values(m.score, m.language))
    return Recrawl("updated" if changed else "unchanged", changes, merged if moved else None)  # type: ignore[arg-type]


def _update(session: Session, m: NormalMention) -> tuple[str, int]:
    row = session.get(Mention, m.existing_id, with_for_update=session.bind.dialect.name != "sqlite")
    if row is None:
        # Retention deleted the stored copy since it was looked up: the post is stored anew.
        m.existing_id = None
        return save_mention(session, m)
    r = merge_recrawl({k: getattr(row, k) for k in MERGE_READS}, m)
    for column, value in r.changes.items():
        setattr(row, column, value)
    if r.snapshot is not None:
        session.add(_snapshot(row.id, m.fetched_at, r.snapshot))
    return r.outcome, row.id


def mentions_query(
    *,
    brand: str | None = None,
    negative: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    source_id: str | None = None,
    category: str | None = None,
) -> Select[tuple[Mention]]:
    """A query for mentions, newest first, with the usual filters."""
    q = select(Mention)
    if brand:
        q = q.where(Mention.brand == brand)
    if negative is not None:
        q = q.where(Mention.negative == negative)
    if since:
        q = q.where(Mention.published_at >= since)
    if until:
        q = q.where(Mention.published_at < until)
    if source_id:
        q = q.where(Mention.source_id == source_id)
    if category:
        q = q.where(Mention.category == category)
    return q.order_by(Mention.published_at.desc(), Mention.id.desc())


def count_mentions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Mention)) or 0
