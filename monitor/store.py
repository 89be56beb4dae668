"""Reading and writing mentions and their engagement snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

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
    they moved. Counts seen at an older ``fetched_at`` than the stored ones (a
    replayed file, a slow worker) do not overwrite newer ones. If another process
    inserted the same post in between, the insert turns into an update.
    """
    if m.existing_id is None:
        row = _new_row(m)
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


def _new_row(m: NormalMention) -> Mention:
    s = m.score
    assert s is not None and m.brand is not None, "score and brand are set before storing"
    row = Mention(
        source_id=m.source_id,
        external_id=m.external_id,
        url=m.url,
        text=m.text,
        author_id=m.author_id,
        author_name=m.author_name,
        author_followers=m.author_followers,
        author_verified=m.author_verified,
        author_verified_type=m.author_verified_type,
        published_at=m.published_at,
        fetched_at=m.fetched_at,
        first_seen_at=m.fetched_at,
        reposts=m.reposts or 0,
        comments=m.comments or 0,
        likes=m.likes or 0,
        brand=m.brand,
    )
    set_score(row, s, m.language)
    return row


def set_score(row: Mention, s: "Score", language: str | None = None) -> None:
    """Write a score onto a stored mention (``language``: the source's, kept when it gave one)."""
    row.sentiment, row.polarity, row.negative, row.category = s.sentiment, s.polarity, s.negative, s.category
    row.kol, row.priority, row.language = s.kol, s.priority, language or s.language


def _snapshot(mention_id: int, taken_at: datetime, counts: tuple[int, int, int]) -> EngagementSnapshot:
    reposts, comments, likes = counts
    return EngagementSnapshot(mention_id=mention_id, taken_at=taken_at, reposts=reposts, comments=comments, likes=likes)


def _update(session: Session, m: NormalMention) -> tuple[str, int]:
    row = session.get(Mention, m.existing_id, with_for_update=session.bind.dialect.name != "sqlite")
    assert row is not None
    if m.fetched_at < row.fetched_at:
        return "unchanged", row.id
    before = (row.reposts, row.comments, row.likes)
    merged = tuple(old if new is None else new for old, new in zip(before, (m.reposts, m.comments, m.likes)))
    counts_moved = merged != before
    row.fetched_at = m.fetched_at
    row.reposts, row.comments, row.likes = merged
    if m.url:
        row.url = m.url
    if m.author_followers is not None:
        row.author_followers = m.author_followers
    if m.author_verified is not None:
        row.author_verified = m.author_verified
    if m.author_verified_type is not None:
        row.author_verified_type = m.author_verified_type
    if m.author_name:
        row.author_name = m.author_name
    changed = counts_moved
    if m.score is not None:
        s = m.score
        changed = changed or row.text != m.text or row.negative != s.negative
        row.text = m.text
        set_score(row, s, m.language)
        row.brand = m.brand or row.brand
    if counts_moved:
        session.add(_snapshot(row.id, m.fetched_at, merged))
    return ("updated" if changed else "unchanged"), row.id


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
