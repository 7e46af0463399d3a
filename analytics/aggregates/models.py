"""The analytics package's own tables: sums kept by the aggregation job, nothing else.

"Not attributable" is 0 for a store and "" for a channel (not NULL): the sums are upserted on
their keys, and NULLs would never match a key.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.models_base import UTCDateTime
from app.purchases.models import Purchase, Refund

NO_STORE = 0
NO_CHANNEL = ""

# The job selects the rows recorded on a day by their creation time. BRIN indexes cost the
# ledger's and the purchases' inserts next to nothing (rows arrive in time order); on SQLite
# (development) they are plain indexes.
Index("ix_ledger_entries_created_brin", LedgerEntry.created_at, postgresql_using="brin")
Index("ix_purchases_created_brin", Purchase.created_at, postgresql_using="brin")
Index("ix_refunds_created_brin", Refund.created_at, postgresql_using="brin")


class Watermark(db.Model):
    """The last day (UTC) whose recorded rows are summed: the next run starts the day after."""

    __tablename__ = "analytics_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DailySales(db.Model):
    """Purchases by the day they occurred, their store and channel, and the member's tier (at
    the time they were summed); refunds by the day they were made."""

    __tablename__ = "analytics_daily_sales"
    __table_args__ = (UniqueConstraint("day", "store_id", "channel", "tier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    store_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(10))
    tier_id: Mapped[int]
    purchases: Mapped[int] = mapped_column(default=0)
    spend_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # What discount offers redeemed with these purchases took off (amount x percent).
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class DailyPoints(db.Model):
    """Ledger entries by day, kind and cause (`source`: the entry's reference type). A
    purchase's points count in its store and channel; other points in the member's home store
    (channel "")."""

    __tablename__ = "analytics_daily_points"
    __table_args__ = (UniqueConstraint("day", "kind", "source", "store_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(30))
    store_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(10))
    points_in: Mapped[int] = mapped_column(BigInteger, default=0)
    points_out: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(default=0)


class CohortPoints(db.Model):
    """Every point ever moved, by the member's join month, home store and entry kind: each
    cohort's history of redemption and expiry, what breakage is estimated from."""

    __tablename__ = "analytics_cohort_points"
    __table_args__ = (UniqueConstraint("join_month", "home_store_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    join_month: Mapped[date] = mapped_column(Date)
    home_store_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    points_in: Mapped[int] = mapped_column(BigInteger, default=0)
    points_out: Mapped[int] = mapped_column(BigInteger, default=0)


class MemberStats(db.Model):
    """One row per member: the tier last seen (a change is a tier move) and the last day with
    a purchase (active members)."""

    __tablename__ = "analytics_member_stats"
    __table_args__ = (Index("ix_analytics_member_stats_last", "last_purchase_on"),)

    member_id: Mapped[int] = mapped_column(primary_key=True)
    join_month: Mapped[date] = mapped_column(Date)
    home_store_id: Mapped[int]
    tier_id: Mapped[int]
    last_purchase_on: Mapped[date | None] = mapped_column(Date)
    purchases: Mapped[int] = mapped_column(default=0)
    spend_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class MemberMonth(db.Model):
    """A member's purchases in a month (by when they occurred): whether the member was active
    that month, counted once in the cohort's figures."""

    __tablename__ = "analytics_member_months"

    member_id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    purchases: Mapped[int] = mapped_column(default=0)
    spend_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class CohortMonth(db.Model):
    """Members who joined in `join_month` (home store) and purchased in `month`."""

    __tablename__ = "analytics_cohort_months"
    __table_args__ = (UniqueConstraint("join_month", "home_store_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    join_month: Mapped[date] = mapped_column(Date)
    home_store_id: Mapped[int]
    month: Mapped[date] = mapped_column(Date)
    active_members: Mapped[int] = mapped_column(default=0)
    purchases: Mapped[int] = mapped_column(default=0)
    spend_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class BalanceSnapshot(db.Model):
    """Members and their points as the last run found them, by join month, home store and
    tier: what the program owes, and what expires soon. Replaced by every run."""

    __tablename__ = "analytics_balance_snapshot"
    __table_args__ = (UniqueConstraint("join_month", "home_store_id", "tier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    join_month: Mapped[date] = mapped_column(Date)
    home_store_id: Mapped[int]
    tier_id: Mapped[int]
    members: Mapped[int] = mapped_column(default=0)
    ended_members: Mapped[int] = mapped_column(default=0)
    points_available: Mapped[int] = mapped_column(BigInteger, default=0)
    points_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    expiring_30: Mapped[int] = mapped_column(BigInteger, default=0)
    expiring_60: Mapped[int] = mapped_column(BigInteger, default=0)
    expiring_90: Mapped[int] = mapped_column(BigInteger, default=0)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TierMove(db.Model):
    """Members who moved from one tier to another, by the month of the move."""

    __tablename__ = "analytics_tier_moves"
    __table_args__ = (UniqueConstraint("month", "from_tier_id", "to_tier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    from_tier_id: Mapped[int]
    to_tier_id: Mapped[int]
    moves: Mapped[int] = mapped_column(default=0)


class DailyCount(db.Model):
    """A counted activity (quiz plays, pushes opened, offer claims, ...) by day and the
    member's home store; `value` is a count or a sum (`analytics.aggregates.counters`)."""

    __tablename__ = "analytics_daily_counts"
    __table_args__ = (UniqueConstraint("day", "metric", "home_store_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(40))
    home_store_id: Mapped[int]
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class LiftResult(db.Model):
    """A campaign's or an offer's measured lift over the job's window, kept once the window
    is over: the return report's incremental spend."""

    __tablename__ = "analytics_lift_results"

    subject_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    window_days: Mapped[int]
    treated: Mapped[int]
    held_out: Mapped[int]
    incremental_spend_minor: Mapped[int] = mapped_column(BigInteger)
    significant: Mapped[bool]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
