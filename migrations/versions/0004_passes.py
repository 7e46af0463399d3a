"""wallet passes: Apple passes, devices, registrations, update counter, Wallet log, Google objects

Revision ID: 0004_passes
Revises: 0003_games
Create Date: 2026-11-26 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0004_passes"
down_revision = "0003_games"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('apple_passes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial_number', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('authentication_token', sa.String(length=64), nullable=False),
    sa.Column('update_tag', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_apple_passes_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apple_passes')),
    sa.UniqueConstraint('member_id', name=op.f('uq_apple_passes_member_id')),
    sa.UniqueConstraint('serial_number', name=op.f('uq_apple_passes_serial_number'))
    )
    with op.batch_alter_table('apple_passes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apple_passes_update_tag'), ['update_tag'], unique=False)

    op.create_table('apple_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_library_id', sa.String(length=128), nullable=False),
    sa.Column('push_token', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apple_devices')),
    sa.UniqueConstraint('device_library_id', name=op.f('uq_apple_devices_device_library_id'))
    )
    op.create_table('apple_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('pass_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['apple_devices.id'], name=op.f('fk_apple_registrations_device_id_apple_devices')),
    sa.ForeignKeyConstraint(['pass_id'], ['apple_passes.id'], name=op.f('fk_apple_registrations_pass_id_apple_passes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apple_registrations')),
    sa.UniqueConstraint('device_id', 'pass_id', name=op.f('uq_apple_registrations_device_id_pass_id'))
    )
    with op.batch_alter_table('apple_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apple_registrations_pass_id'), ['pass_id'], unique=False)

    op.create_table('pass_update_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_update_counter'))
    )
    op.create_table('pass_log_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_log_entries'))
    )
    with op.batch_alter_table('pass_log_entries', schema=None) as batch_op:
        batch_op.create_index('ix_pass_log_entries_created', ['created_at'], unique=False)

    op.create_table('google_passes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('object_id', sa.String(length=200), nullable=False),
    sa.Column('synced_points', sa.Integer(), nullable=True),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_google_passes_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_google_passes')),
    sa.UniqueConstraint('member_id', name=op.f('uq_google_passes_member_id')),
    sa.UniqueConstraint('object_id', name=op.f('uq_google_passes_object_id'))
    )


def downgrade():
    op.drop_table('google_passes')
    with op.batch_alter_table('pass_log_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_pass_log_entries_created')

    op.drop_table('pass_log_entries')
    op.drop_table('pass_update_counter')
    with op.batch_alter_table('apple_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apple_registrations_pass_id'))

    op.drop_table('apple_registrations')
    op.drop_table('apple_devices')
    with op.batch_alter_table('apple_passes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apple_passes_update_tag'))

    op.drop_table('apple_passes')
