"""source state: per-source memory between runs (file offsets)

Revision ID: 0003_source_state
Revises: 0002_service_lock
"""
from alembic import op
import sqlalchemy as sa
import monitor.db

revision = "0003_source_state"
down_revision = "0002_service_lock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_state",
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", monitor.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "key", name=op.f("pk_source_state")),
    )


def downgrade() -> None:
    op.drop_table("source_state")
