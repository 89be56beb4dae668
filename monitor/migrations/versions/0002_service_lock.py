"""service lock: one running scheduler per database

Revision ID: 0002_service_lock
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import monitor.db

revision = "0002_service_lock"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_locks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=128), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", monitor.db.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", monitor.db.UTCDateTime(), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_locks")),
    )


def downgrade() -> None:
    op.drop_table("service_locks")
