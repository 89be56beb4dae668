"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 13:44:02.384817
"""
from alembic import op
import sqlalchemy as sa
import monitor.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incidents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('brand', sa.String(length=64), nullable=False),
    sa.Column('cause', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('opened_at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('acknowledged_at', monitor.db.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=128), nullable=True),
    sa.Column('resolved_at', monitor.db.UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=128), nullable=True),
    sa.Column('resolution', sa.String(length=32), nullable=True),
    sa.Column('last_evidence_at', monitor.db.UTCDateTime(), nullable=True),
    sa.Column('silenced_until', monitor.db.UTCDateTime(), nullable=True),
    sa.Column('trigger', sa.Text(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_status', ['status'], unique=False)
        batch_op.create_index('uq_incidents_open_brand_cause', ['brand', 'cause'], unique=True, sqlite_where=sa.text("status != 'resolved'"), postgresql_where=sa.text("status != 'resolved'"))

    op.create_table('mentions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=256), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.String(length=256), nullable=True),
    sa.Column('author_name', sa.String(length=256), nullable=True),
    sa.Column('author_followers', sa.BigInteger(), nullable=True),
    sa.Column('author_verified', sa.Boolean(), nullable=True),
    sa.Column('published_at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('fetched_at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('first_seen_at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('reposts', sa.BigInteger(), nullable=False),
    sa.Column('comments', sa.BigInteger(), nullable=False),
    sa.Column('likes', sa.BigInteger(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('sentiment', sa.Float(), nullable=True),
    sa.Column('negative', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('kol', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Float(), nullable=True),
    sa.Column('brand', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentions')),
    sa.UniqueConstraint('source_id', 'external_id', name='uq_mentions_source_external')
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_brand_negative_published', ['brand', 'negative', 'published_at'], unique=False)
        batch_op.create_index('ix_mentions_brand_published', ['brand', 'published_at'], unique=False)
        batch_op.create_index('ix_mentions_fetched', ['fetched_at'], unique=False)

    op.create_table('source_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', monitor.db.UTCDateTime(), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('dropped', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_runs'))
    )
    with op.batch_alter_table('source_runs', schema=None) as batch_op:
        batch_op.create_index('ix_source_runs_source_started', ['source_id', 'started_at'], unique=False)

    op.create_table('engagement_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('mention_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('taken_at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('reposts', sa.BigInteger(), nullable=False),
    sa.Column('comments', sa.BigInteger(), nullable=False),
    sa.Column('likes', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['mention_id'], ['mentions.id'], name=op.f('fk_engagement_snapshots_mention_id_mentions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_snapshots'))
    )
    with op.batch_alter_table('engagement_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_snapshots_mention_taken', ['mention_id', 'taken_at'], unique=False)

    op.create_table('incident_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_events_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_events'))
    )
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.create_index('ix_incident_events_incident', ['incident_id', 'at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=256), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', monitor.db.UTCDateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', monitor.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_outbox_incident_id_incidents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('channel', 'idempotency_key', name='uq_outbox_channel_key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_next', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_next')

    op.drop_table('outbox')
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_events_incident')

    op.drop_table('incident_events')
    with op.batch_alter_table('engagement_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_snapshots_mention_taken')

    op.drop_table('engagement_snapshots')
    with op.batch_alter_table('source_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_source_runs_source_started')

    op.drop_table('source_runs')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_fetched')
        batch_op.drop_index('ix_mentions_brand_published')
        batch_op.drop_index('ix_mentions_brand_negative_published')

    op.drop_table('mentions')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('uq_incidents_open_brand_cause', sqlite_where=sa.text("status != 'resolved'"), postgresql_where=sa.text("status != 'resolved'"))
        batch_op.drop_index('ix_incidents_status')

    op.drop_table('incidents')
