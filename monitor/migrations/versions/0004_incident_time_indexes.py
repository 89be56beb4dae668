"""incident time indexes: the digest reads incidents opened / resolved per brand and day

Revision ID: 0004_incident_time_indexes
Revises: 0003_source_state
"""
from alembic import op

revision = "0004_incident_time_indexes"
down_revision = "0003_source_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_brand_opened", "incidents", ["brand", "opened_at"])
    op.create_index("ix_incidents_brand_resolved", "incidents", ["brand", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_brand_resolved", table_name="incidents")
    op.drop_index("ix_incidents_brand_opened", table_name="incidents")
