"""push notifications: devices, preferences, campaigns, deliveries

Revision ID: 0005_push
Revises: 0004_passes
Create Date: 2026-11-26 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005_push"
down_revision = '0004_passes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('push_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('deep_link', sa.String(length=500), nullable=True),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_push_campaigns_offer_id_offers')),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_push_campaigns_segment_id_segments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_campaigns')),
    sa.UniqueConstraint('public_id', name=op.f('uq_push_campaigns_public_id'))
    )
    op.create_table('push_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('fid', sa.String(length=255), nullable=True),
    sa.Column('token', sa.String(length=512), nullable=True),
    sa.Column('platform', sa.String(length=10), nullable=False),
    sa.Column('app_version', sa.String(length=40), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_reason', sa.String(length=40), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('NOT active OR fid IS NOT NULL OR token IS NOT NULL', name=op.f('ck_push_devices_has_address')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_push_devices_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_devices')),
    sa.UniqueConstraint('fid', name=op.f('uq_push_devices_fid')),
    sa.UniqueConstraint('public_id', name=op.f('uq_push_devices_public_id')),
    sa.UniqueConstraint('token', name=op.f('uq_push_devices_token'))
    )
    with op.batch_alter_table('push_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_devices_member_id'), ['member_id'], unique=False)

    op.create_table('push_preferences',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('points_earned', sa.Boolean(), nullable=False),
    sa.Column('tier_changed', sa.Boolean(), nullable=False),
    sa.Column('challenge_completed', sa.Boolean(), nullable=False),
    sa.Column('contest_won', sa.Boolean(), nullable=False),
    sa.Column('offer_expiring', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_push_preferences_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_push_preferences'))
    )
    op.create_table('push_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('deep_link', sa.String(length=500), nullable=False),
    sa.Column('collapse_key', sa.String(length=64), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=15), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fcm_message_id', sa.String(length=200), nullable=True),
    sa.Column('error_code', sa.String(length=60), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['push_campaigns.id'], name=op.f('fk_push_deliveries_campaign_id_push_campaigns')),
    sa.ForeignKeyConstraint(['device_id'], ['push_devices.id'], name=op.f('fk_push_deliveries_device_id_push_devices')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_push_deliveries_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_deliveries')),
    sa.UniqueConstraint('public_id', name=op.f('uq_push_deliveries_public_id')),
    sa.UniqueConstraint('source', 'device_id', name=op.f('uq_push_deliveries_source_device_id'))
    )
    with op.batch_alter_table('push_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_deliveries_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_push_deliveries_due', ['status', 'scheduled_for'], unique=False)
        batch_op.create_index('ix_push_deliveries_member_sent', ['member_id', 'sent_at'], unique=False)



def downgrade():
    with op.batch_alter_table('push_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_push_deliveries_member_sent')
        batch_op.drop_index('ix_push_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_push_deliveries_campaign_id'))

    op.drop_table('push_deliveries')
    op.drop_table('push_preferences')
    with op.batch_alter_table('push_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_devices_member_id'))

    op.drop_table('push_devices')
    op.drop_table('push_campaigns')
