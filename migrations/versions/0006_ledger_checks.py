"""ledger checks: rewards remember every unit put in stock; refunds stay within the purchase

Revision ID: 0006_ledger_checks
Revises: 0005_push
Create Date: 2026-12-01 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_ledger_checks"
down_revision = "0005_push"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock_total", sa.Integer(), nullable=True))
    # What a stocked reward ever had: what is left plus what was redeemed from it.
    op.execute(
        "UPDATE rewards SET stock_total = stock_remaining + "
        "(SELECT COUNT(*) FROM redemptions WHERE redemptions.reward_id = rewards.id) "
        "WHERE stock_remaining IS NOT NULL"
    )
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_purchases_refund_within_amount"),
            "refunded_minor >= 0 AND refunded_minor <= amount_minor",
        )
        batch_op.create_check_constraint(
            op.f("ck_purchases_reversal_within_earned"),
            "points_reversed >= 0 AND points_reversed <= points_earned",
        )


def downgrade():
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_purchases_reversal_within_earned"), type_="check")
        batch_op.drop_constraint(op.f("ck_purchases_refund_within_amount"), type_="check")
    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.drop_column("stock_total")
