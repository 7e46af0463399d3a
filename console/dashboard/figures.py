"""The dashboard's figures: the points liability, the members, the activity of the last days,
the latest campaigns and, when the analytics package is loaded, what its reports say the program
owes and returns.

The live figures (today's liability, members, the last days) are read from the core's tables:
the analytics reports are summed nightly, through yesterday. The money figures (the value owed,
breakage, cost against spend per month) are the analytics reports themselves, through the same
services as `/api/v1/admin/analytics/*`. Nothing here is a rule of the program.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import String, func, select

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.members.models import Member
from app.models_base import utcnow
from app.purchases.models import Purchase
from app.tiers.models import Tier

ACTIVITY_DAYS = 14


@dataclass(frozen=True)
class Liability:
    available: int
    pending: int
    members_with_points: int

    @property
    def total(self) -> int:
        return self.available + self.pending


@dataclass(frozen=True)
class Members:
    active: int
    joined_30_days: int
    by_tier: list[tuple[str, int]]


@dataclass(frozen=True)
class Month:
    month: date
    net_spend: Decimal
    cost_total: Decimal | None
    cost_share: Decimal | None


@dataclass(frozen=True)
class Returns:
    """What the analytics reports say: the value of the points owed, the breakage expected of
    them, and per month the members' net spend against the program's cost."""

    summed_through: date | None
    currency: str
    value_outstanding: Decimal | None
    breakage_rate: Decimal | None
    breakage_value: Decimal | None
    months: list[Month]


@dataclass(frozen=True)
class Day:
    day: date
    purchases: int
    points_earned: int
    points_redeemed: int


def liability() -> Liability:
    row = db.session.execute(
        select(
            func.coalesce(func.sum(Member.points_available), 0),
            func.coalesce(func.sum(Member.points_pending), 0),
            func.count().filter(Member.points_available + Member.points_pending > 0),
        ).where(Member.ended_at.is_(None))
    ).one()
    return Liability(int(row[0]), int(row[1]), int(row[2]))


def members(now: datetime | None = None) -> Members:
    now = now or utcnow()
    active = Member.ended_at.is_(None)
    total = db.session.scalar(select(func.count()).select_from(Member).where(active)) or 0
    recent = (
        db.session.scalar(
            select(func.count())
            .select_from(Member)
            .where(active, Member.joined_at >= now - timedelta(days=30))
        )
        or 0
    )
    by_tier = db.session.execute(
        select(Tier.name, func.count(Member.id))
        .join(Member, (Member.tier_id == Tier.id) & active, isouter=True)
        .group_by(Tier.id, Tier.name, Tier.rank)
        .order_by(Tier.rank)
    ).all()
    return Members(total, recent, [(name, int(count)) for name, count in by_tier])


def activity(days: int = ACTIVITY_DAYS, now: datetime | None = None) -> list[Day]:
    """Per day (UTC) of the last `days`: purchases, points earned by them, points redeemed."""
    today = (now or utcnow()).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time()).replace(tzinfo=(now or utcnow()).tzinfo)
    purchase_day = _day(Purchase.occurred_at)
    bought = {
        _as_date(day): (int(count), int(points or 0))
        for day, count, points in db.session.execute(
            select(purchase_day, func.count(), func.sum(Purchase.points_earned))
            .where(Purchase.occurred_at >= since)
            .group_by(purchase_day)
        )
    }
    entry_day = _day(LedgerEntry.created_at)
    redeemed = {
        _as_date(day): int(-(points or 0))
        for day, points in db.session.execute(
            select(entry_day, func.sum(LedgerEntry.available_delta))
            .where(LedgerEntry.created_at >= since, LedgerEntry.kind == "redeem")
            .group_by(entry_day)
        )
    }
    out = []
    for i in range(days):
        day = first + timedelta(days=i)
        count, points = bought.get(day, (0, 0))
        out.append(Day(day, count, points, redeemed.get(day, 0)))
    return out


def _day(column: Any) -> Any:
    # date() on both: SQLite's answers "2026-12-01" (its CAST AS DATE would answer 2026),
    # PostgreSQL's a date; no Date type, so SQLAlchemy leaves either as it comes.
    return func.date(column, type_=String)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def latest_campaigns(limit: int = 5) -> list[tuple[Any, dict]] | None:
    """The newest campaigns with their counts; None when push notifications are off."""
    if "notifications" not in current_app.config["FEATURES"]:
        return None
    from notifications.campaigns import service as campaigns

    latest = campaigns.latest_campaigns()[:limit]
    counts = campaigns.counts([c.id for c in latest])
    return [(c, counts[c.id]) for c in latest]


def returns() -> Returns | None:
    """The liability and return reports of the analytics package; None when it is not loaded."""
    if "analytics" not in current_app.config["FEATURES"]:
        return None
    from analytics.reports.filters import Filters
    from analytics.reports.liability import liability as owed
    from analytics.reports.roi import roi

    everything = Filters()
    debt, back = owed(everything), roi(everything)
    return Returns(
        summed_through=debt["summed_through"],
        currency=debt["currency"],
        value_outstanding=debt["value_outstanding"],
        breakage_rate=debt["breakage"]["rate"],
        breakage_value=debt["breakage"]["value"],
        months=[
            Month(m["month"], m["net_spend"], m["cost_total"], m["cost_share_of_net_spend"])
            for m in back["months"]
        ],
    )
