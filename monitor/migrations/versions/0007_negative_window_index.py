"""negative window index: the evaluator's figures read only this index

A partial index over the negative mentions, ordered by brand and publication and holding
every column the evaluator's aggregate queries read (cause, rank, reposts, KOL flag, first
sighting): a window of 100,000 mentions is read from the index alone, without a lookup of
each row in the table. Only negative rows are in it, so it costs ingest little.

Revision ID: 0007_negative_window_index
Revises: 0006_mention_polarity
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_negative_window_index"
down_revision = "0006_mention_polarity"
branch_labels = None
depends_on = None

COLUMNS = ["brand", "negative", "published_at", "category", "priority", "reposts", "comments", "likes", "kol", "first_seen_at"]


def upgrade() -> None:
    # The predicate is written as the queries write it (SQLAlchemy's ``negative IS true``):
    # SQLite uses a partial index only for a query whose WHERE holds the same term, and
    # reads it alone only if it also holds the predicate's column, hence ``negative`` in it.
    op.create_index("ix_mentions_negative_window", "mentions", COLUMNS,
                    sqlite_where=sa.text("negative IS 1"), postgresql_where=sa.text("negative IS true"))


def downgrade() -> None:
    op.drop_index("ix_mentions_negative_window", table_name="mentions")
