"""SQLAlchemy 2 models. Every schema change goes through an Alembic migration in
``monitor/migrations/versions``; never call ``create_all`` outside tests of migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from monitor.db import UTCDateTime

# Stable constraint names so migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger autoincrement is INTEGER PRIMARY KEY on SQLite (rowid) and BIGSERIAL elsewhere.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Mention(Base):
    """One post about a brand, as last crawled."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_mentions_source_external"),
        Index("ix_mentions_brand_published", "brand", "published_at"),
        Index("ix_mentions_brand_negative_published", "brand", "negative", "published_at"),
        Index("ix_mentions_fetched", "fetched_at"),
        # The evaluator's window: negative mentions only, with every column its aggregate
        # queries read, so a busy window is read from the index alone (migration 0007).
        Index("ix_mentions_negative_window", "brand", "negative", "published_at", "category", "priority", "reposts", "comments",
              "likes", "kol", "first_seen_at", sqlite_where=text("negative IS 1"), postgresql_where=text("negative IS true")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(256))
    url: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(String(256))
    author_name: Mapped[str | None] = mapped_column(String(256))
    author_followers: Mapped[int | None] = mapped_column(BigInteger)
    author_verified: Mapped[bool | None] = mapped_column(Boolean)
    author_verified_type: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reposts: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    language: Mapped[str | None] = mapped_column(String(16))
    sentiment: Mapped[float | None] = mapped_column(Float)
    negative: Mapped[bool] = mapped_column(Boolean, default=False)
    polarity: Mapped[str | None] = mapped_column(String(8))  # negative / neutral / positive
    category: Mapped[str | None] = mapped_column(String(64))
    kol: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[float | None] = mapped_column(Float)
    brand: Mapped[str] = mapped_column(String(64))

    snapshots: Mapped[list["EngagementSnapshot"]] = relationship(
        back_populates="mention", cascade="all, delete-orphan", passive_deletes=True
    )

    def as_dict(self) -> dict[str, Any]:
        """The stored mention as plain JSON-able data (``mentions list --format json``, the console)."""
        return {
            "id": self.id,
            "brand": self.brand,
            "source_id": self.source_id,
            "external_id": self.external_id,
            "url": self.url,
            "text": self.text,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "author_followers": self.author_followers,
            "author_verified": self.author_verified,
            "published_at": self.published_at.isoformat(),
            "fetched_at": self.fetched_at.isoformat(),
            "reposts": self.reposts,
            "comments": self.comments,
            "likes": self.likes,
            "language": self.language,
            "sentiment": self.sentiment,
            "polarity": self.polarity,
            "negative": self.negative,
            "category": self.category,
            "kol": self.kol,
            "priority": self.priority,
        }


class EngagementSnapshot(Base):
    """Engagement counts of a mention at one crawl, so growth over time is known."""

    __tablename__ = "engagement_snapshots"
    __table_args__ = (Index("ix_snapshots_mention_taken", "mention_id", "taken_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reposts: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)

    mention: Mapped[Mention] = relationship(back_populates="snapshots")


class Incident(Base):
    """A reputational incident of one brand and cause (complaint category)."""

    __tablename__ = "incidents"
    __table_args__ = (
        # One open incident per brand and cause; resolved ones may repeat.
        Index(
            "uq_incidents_open_brand_cause",
            "brand",
            "cause",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_incidents_status", "status"),
        # The digest: incidents opened / resolved per brand and day.
        Index("ix_incidents_brand_opened", "brand", "opened_at"),
        Index("ix_incidents_brand_resolved", "brand", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged | resolved
    tier: Mapped[str] = mapped_column(String(16))  # yellow | orange | red
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolution: Mapped[str | None] = mapped_column(String(32))  # manual | quiet
    last_evidence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trigger: Mapped[str | None] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    events: Mapped[list["IncidentEvent"]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentEvent.id"
    )


class IncidentEvent(Base):
    """One entry of an incident's history (opened, escalated, acknowledged, step done, ...)."""

    __tablename__ = "incident_events"
    __table_args__ = (Index("ix_incident_events_incident", "incident_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    incident: Mapped[Incident] = relationship(back_populates="events")


class OutboxMessage(Base):
    """A notification written before it is delivered, so nothing is lost if a channel
    or the process is down. ``idempotency_key`` is unique per channel."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("channel", "idempotency_key", name="uq_outbox_channel_key"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(256))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SourceRun(Base):
    """One run of one source: the source's health record."""

    __tablename__ = "source_runs"
    __table_args__ = (Index("ix_source_runs_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    items: Mapped[int] = mapped_column(Integer, default=0)  # items the spider yielded
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ServiceLock(Base):
    """A named lease held by one process: the single running scheduler (``service``).

    A holder renews ``heartbeat_at``; another process may take the lease over once the
    heartbeat is older than the lease time, or at once when the holder's process is gone
    from this host. ``info`` carries the holder's status (last cycle, version) for
    ``repmon status``.
    """

    __tablename__ = "service_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))  # host:pid:token
    host: Mapped[str] = mapped_column(String(128))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SourceState(Base):
    """What a source remembers between runs (e.g. how far it has read each file)."""

    __tablename__ = "source_state"

    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
