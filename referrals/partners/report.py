"""A partner's funnel: sign-ups, first purchases, members still active after 30 and 90 days,
their spend, and what it cost in points, rewards and commissions. Set-based queries, one per
figure, over the partner's referrals."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Interval, and_, exists, func, literal, select

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.members.models import Member
from app.program.service import get_program
from app.purchases.models import Purchase
from app.schemas import from_minor
from referrals import rules
from referrals.partners.models import Partner
from referrals.partners.service import code_of
from referrals.referrals.models import Commission, Referral

ACTIVE_AFTER_DAYS = (30, 90)


@dataclass(frozen=True)
class Retention:
    days: int
    eligible: int  # joined at least `days` ago
    active: int  # of those: a purchase `days` or more after joining, membership not ended


@dataclass(frozen=True)
class Report:
    partner_id: str
    code: str
    signups: int
    first_purchases: int
    qualified: int
    retention: list[Retention]
    spend_minor: int
    points_cost: int
    rewards_granted: int
    commissions: int
    commission_points: int
    commission_minor: int
    currency: str


def _friends(partner: Partner):
    return select(Referral.friend_member_id).where(Referral.partner_id == partner.id)


def _plus_days(column, days: int):
    """`column` + days in SQL: SQLite keeps times as text and adds with datetime()."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.datetime(column, f"+{days} days")
    return column + literal(timedelta(days=days), type_=Interval())


def _retention(partner: Partner, days: int, now: datetime) -> Retention:
    old_enough = and_(
        Member.id.in_(_friends(partner)), Member.joined_at <= now - timedelta(days=days)
    )
    eligible = db.session.scalar(select(func.count(Member.id)).where(old_enough))
    later = exists().where(
        Purchase.member_id == Member.id,
        Purchase.occurred_at >= _plus_days(Member.joined_at, days),
    )
    active = db.session.scalar(
        select(func.count(Member.id)).where(old_enough, Member.ended_at.is_(None), later)
    )
    return Retention(days, eligible, active)


def report(partner: Partner, now: datetime) -> Report:
    friends = _friends(partner)
    signups = db.session.scalar(
        select(func.count(Referral.id)).where(Referral.partner_id == partner.id)
    )
    first_purchases = db.session.scalar(
        select(func.count(func.distinct(Purchase.member_id))).where(Purchase.member_id.in_(friends))
    )
    qualified = db.session.scalar(
        select(func.count(Referral.id)).where(
            Referral.partner_id == partner.id,
            Referral.status.in_((rules.QUALIFIED, rules.REWARDED)),
        )
    )
    spend = db.session.scalar(
        select(func.coalesce(func.sum(Purchase.amount_minor - Purchase.refunded_minor), 0)).where(
            Purchase.member_id.in_(friends)
        )
    )
    points = db.session.scalar(
        select(
            func.coalesce(func.sum(LedgerEntry.available_delta + LedgerEntry.pending_delta), 0)
        ).where(
            LedgerEntry.reference_type == "referral",
            LedgerEntry.reference_id.in_(
                select(Referral.public_id).where(Referral.partner_id == partner.id)
            ),
        )
    )
    rewards_granted = db.session.scalar(
        select(func.count(Referral.id)).where(
            Referral.partner_id == partner.id, Referral.welcome_redemption_id.is_not(None)
        )
    )
    commissions = db.session.execute(
        select(
            func.count(Commission.id),
            func.coalesce(func.sum(Commission.points), 0),
            func.coalesce(func.sum(Commission.amount_minor), 0),
        ).where(Commission.partner_id == partner.id, Commission.voided_at.is_(None))
    ).one()
    return Report(
        partner_id=partner.public_id,
        code=code_of(partner),
        signups=signups,
        first_purchases=first_purchases,
        qualified=qualified,
        retention=[_retention(partner, days, now) for days in ACTIVE_AFTER_DAYS],
        spend_minor=spend,
        points_cost=points,
        rewards_granted=rewards_granted,
        commissions=commissions[0],
        commission_points=commissions[1],
        commission_minor=commissions[2],
        currency=get_program().currency,
    )


def as_csv(found: Report) -> str:
    """The report as one CSV row under a header, for a spreadsheet."""
    row = asdict(found)
    retention = row.pop("retention")
    row["spend"] = from_minor(row.pop("spend_minor"))
    row["commission_amount"] = from_minor(row.pop("commission_minor"))
    for item in retention:
        row[f"joined_{item['days']}_days_ago"] = item["eligible"]
        row[f"active_after_{item['days']}_days"] = item["active"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue()
