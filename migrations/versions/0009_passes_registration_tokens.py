"""passes: the push token is kept per registration (device x pass), not per device

A registration is authenticated by one pass's token, and the device library identifier it names
is shared by every pass on the phone: with one token per device, a registration for one member's
pass could redirect the pushes of another member's pass on the same device identifier.

Revision ID: 0009_passes_registration_tokens
Revises: 0008_accounts
Create Date: 2026-12-01 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_passes_registration_tokens"
down_revision = "0008_accounts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("apple_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_token", sa.String(length=200), nullable=True))
    # Every registration keeps the token its device had.
    op.execute(
        "UPDATE apple_registrations SET push_token = (SELECT apple_devices.push_token "
        "FROM apple_devices WHERE apple_devices.id = apple_registrations.device_id)"
    )
    with op.batch_alter_table("apple_registrations", schema=None) as batch_op:
        batch_op.alter_column("push_token", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_apple_registrations_push_token"), ["push_token"], unique=False
        )
    with op.batch_alter_table("apple_devices", schema=None) as batch_op:
        batch_op.drop_column("push_token")


def downgrade():
    with op.batch_alter_table("apple_devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_token", sa.String(length=200), nullable=True))
    # One token per device again: the one of its latest registration.
    op.execute(
        "UPDATE apple_devices SET push_token = COALESCE((SELECT r.push_token "
        "FROM apple_registrations r WHERE r.device_id = apple_devices.id "
        "ORDER BY r.id DESC LIMIT 1), '')"
    )
    with op.batch_alter_table("apple_devices", schema=None) as batch_op:
        batch_op.alter_column("push_token", existing_type=sa.String(length=200), nullable=False)
    with op.batch_alter_table("apple_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apple_registrations_push_token"))
        batch_op.drop_column("push_token")
