"""author verified type: Weibo's kind of verification (personal, institutional, none)

Revision ID: 0005_author_verified_type
Revises: 0004_incident_time_indexes
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_author_verified_type"
down_revision = "0004_incident_time_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("author_verified_type", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("author_verified_type")
