"""mention polarity: negative / neutral / positive beside the negative flag

Rows stored before it get their polarity from what they already hold: the negative flag,
and for the rest the default positive cut (sentiment above 0.6).

Revision ID: 0006_mention_polarity
Revises: 0005_author_verified_type
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_mention_polarity"
down_revision = "0005_author_verified_type"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("polarity", sa.String(length=8), nullable=True))
    op.execute(
        "UPDATE mentions SET polarity = CASE WHEN negative THEN 'negative' "
        "WHEN sentiment > 0.6 THEN 'positive' ELSE 'neutral' END"
    )


def downgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("polarity")
