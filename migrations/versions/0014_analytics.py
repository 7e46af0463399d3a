"""analytics: the daily aggregates, holdout groups, the program's cost per point

- analytics_*: the aggregation job's sums and its watermark (analytics/aggregates);
- holdout_assignments: the recorded groups of campaigns' and offers' audiences (app.holdout);
- offers.holdout_percent, offers.holdout_recorded_at, push_campaigns.holdout_percent;
- program.cost_per_point;
- BRIN indexes (plain ones on SQLite) on the creation time of ledger entries, purchases and
  refunds: how the job finds a day's rows.

Revision ID: 0014_analytics
Revises: 0013_referrals
Create Date: 2026-12-01 14:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_analytics"
down_revision = "0013_referrals"
branch_labels = None
depends_on = None

CREATED_INDEXES = (
    ("ix_ledger_entries_created_brin", "ledger_entries"),
    ("ix_purchases_created_brin", "purchases"),
    ("ix_refunds_created_brin", "refunds"),
)
TABLES = (
    "holdout_assignments",
    "analytics_watermarks",
    "analytics_tier_moves",
    "analytics_member_stats",
    "analytics_member_months",
    "analytics_lift_results",
    "analytics_daily_sales",
    "analytics_daily_points",
    "analytics_daily_counts",
    "analytics_cohort_points",
    "analytics_cohort_months",
    "analytics_balance_snapshot",
)


def upgrade():
    op.create_table(
        "analytics_balance_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("join_month", sa.Date(), nullable=False),
        sa.Column("home_store_id", sa.Integer(), nullable=False),
        sa.Column("tier_id", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("ended_members", sa.Integer(), nullable=False),
        sa.Column("points_available", sa.BigInteger(), nullable=False),
        sa.Column("points_pending", sa.BigInteger(), nullable=False),
        sa.Column("expiring_30", sa.BigInteger(), nullable=False),
        sa.Column("expiring_60", sa.BigInteger(), nullable=False),
        sa.Column("expiring_90", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_balance_snapshot")),
        sa.UniqueConstraint(
            "join_month",
            "home_store_id",
            "tier_id",
            name=op.f("uq_analytics_balance_snapshot_join_month_home_store_id_tier_id"),
        ),
    )
    op.create_table(
        "analytics_cohort_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("join_month", sa.Date(), nullable=False),
        sa.Column("home_store_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("active_members", sa.Integer(), nullable=False),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("spend_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_cohort_months")),
        sa.UniqueConstraint(
            "join_month",
            "home_store_id",
            "month",
            name=op.f("uq_analytics_cohort_months_join_month_home_store_id_month"),
        ),
    )
    op.create_table(
        "analytics_cohort_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("join_month", sa.Date(), nullable=False),
        sa.Column("home_store_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("points_in", sa.BigInteger(), nullable=False),
        sa.Column("points_out", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_cohort_points")),
        sa.UniqueConstraint(
            "join_month",
            "home_store_id",
            "kind",
            name=op.f("uq_analytics_cohort_points_join_month_home_store_id_kind"),
        ),
    )
    op.create_table(
        "analytics_daily_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("home_store_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_daily_counts")),
        sa.UniqueConstraint(
            "day",
            "metric",
            "home_store_id",
            name=op.f("uq_analytics_daily_counts_day_metric_home_store_id"),
        ),
    )
    op.create_table(
        "analytics_daily_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("points_in", sa.BigInteger(), nullable=False),
        sa.Column("points_out", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_daily_points")),
        sa.UniqueConstraint(
            "day",
            "kind",
            "source",
            "store_id",
            "channel",
            name=op.f("uq_analytics_daily_points_day_kind_source_store_id_channel"),
        ),
    )
    op.create_table(
        "analytics_daily_sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("tier_id", sa.Integer(), nullable=False),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("spend_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunds", sa.Integer(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_daily_sales")),
        sa.UniqueConstraint(
            "day",
            "store_id",
            "channel",
            "tier_id",
            name=op.f("uq_analytics_daily_sales_day_store_id_channel_tier_id"),
        ),
    )
    op.create_table(
        "analytics_lift_results",
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("treated", sa.Integer(), nullable=False),
        sa.Column("held_out", sa.Integer(), nullable=False),
        sa.Column("incremental_spend_minor", sa.BigInteger(), nullable=False),
        sa.Column("significant", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "subject_kind", "subject_id", name=op.f("pk_analytics_lift_results")
        ),
    )
    with op.batch_alter_table("analytics_lift_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analytics_lift_results_month"), ["month"], unique=False
        )

    op.create_table(
        "analytics_member_months",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("spend_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "month", name=op.f("pk_analytics_member_months")),
    )
    op.create_table(
        "analytics_member_stats",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("join_month", sa.Date(), nullable=False),
        sa.Column("home_store_id", sa.Integer(), nullable=False),
        sa.Column("tier_id", sa.Integer(), nullable=False),
        sa.Column("last_purchase_on", sa.Date(), nullable=True),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("spend_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_analytics_member_stats")),
    )
    with op.batch_alter_table("analytics_member_stats", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_member_stats_last", ["last_purchase_on"], unique=False)

    op.create_table(
        "analytics_tier_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("from_tier_id", sa.Integer(), nullable=False),
        sa.Column("to_tier_id", sa.Integer(), nullable=False),
        sa.Column("moves", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_tier_moves")),
        sa.UniqueConstraint(
            "month",
            "from_tier_id",
            "to_tier_id",
            name=op.f("uq_analytics_tier_moves_month_from_tier_id_to_tier_id"),
        ),
    )
    op.create_table(
        "analytics_watermarks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_watermarks")),
    )
    op.create_table(
        "holdout_assignments",
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("held_out", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_holdout_assignments_member_id_members")
        ),
        sa.PrimaryKeyConstraint(
            "subject_kind", "subject_id", "member_id", name=op.f("pk_holdout_assignments")
        ),
    )
    with op.batch_alter_table("holdout_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_holdout_assignments_member", ["member_id"], unique=False)

    for name, table in CREATED_INDEXES:
        op.create_index(name, table, ["created_at"], unique=False, postgresql_using="brin")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("holdout_percent", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("holdout_recorded_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("push_campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("holdout_percent", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cost_per_point",
                sa.Numeric(precision=12, scale=6),
                nullable=False,
                server_default="0.01",
            )
        )


def downgrade():
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("cost_per_point")
    with op.batch_alter_table("push_campaigns", schema=None) as batch_op:
        batch_op.drop_column("holdout_percent")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("holdout_recorded_at")
        batch_op.drop_column("holdout_percent")
    for name, table in CREATED_INDEXES:
        op.drop_index(name, table_name=table)
    for table in TABLES:
        op.drop_table(table)
