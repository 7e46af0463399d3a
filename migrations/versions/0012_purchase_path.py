"""the purchase path: the tiers' running total and the settings' version stamp

- members.tier_points / tier_points_since: the running total of tier qualification (the
  qualifying points of the entries made since `tier_points_since`). Existing members start
  with the sum of all their entries and no start (None: since the first entry), which is what
  the total means until the next tier evaluation sets it to the window's exact sum;
- settings_version: one row, bumped by every change to the program, tiers, earning rules and
  games, which the processes' settings caches compare with what they hold.

Revision ID: 0012_purchase_path
Revises: 0011_community
Create Date: 2026-12-01 15:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_purchase_path"
down_revision = "0011_community"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "settings_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_version")),
    )
    op.execute("INSERT INTO settings_version (id, version) VALUES (1, 1)")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tier_points", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("tier_points_since", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE members SET tier_points = (SELECT COALESCE(SUM(ledger_entries.qualifying), 0)"
        " FROM ledger_entries WHERE ledger_entries.member_id = members.id)"
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column("tier_points", server_default=None)


def downgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("tier_points_since")
        batch_op.drop_column("tier_points")
    op.drop_table("settings_version")
