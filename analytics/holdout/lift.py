"""A subject's lift: spend and visits per member of the treated and the held-out groups over a
window from the subject's start, their difference and Welch's 95 % interval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Float, Numeric, and_, cast, func, select

from analytics import sql
from analytics.aggregates.models import LiftResult
from analytics.stats import SIGNIFICANT, Comparison, Sample, welch
from app.errors import ApiError, not_found
from app.extensions import db
from app.holdout import rules
from app.holdout.models import HoldoutAssignment
from app.models_base import utcnow
from app.offers.models import Offer
from app.purchases.models import Purchase

METHOD = (
    "Per member of each recorded group: spend (purchases less what was refunded of them) and "
    "visits (purchases) that occurred in the window. Difference = treated mean - held-out "
    "mean; 95 % confidence interval by Welch's t (unequal variances, Welch-Satterthwaite "
    "degrees of freedom). Not significant when the interval includes 0."
)


@dataclass(frozen=True)
class Subject:
    kind: str
    id: int
    public_id: str
    percent: int
    starts_at: datetime | None


@dataclass(frozen=True)
class Group:
    members: int
    spend: Sample
    visits: Sample


@dataclass(frozen=True)
class Lift:
    subject: Subject
    window_days: int
    starts_at: datetime
    ends_at: datetime
    complete: bool
    treated: Group
    held_out: Group
    spend: Comparison
    visits: Comparison
    method: str = METHOD

    @property
    def incremental_spend_minor(self) -> int:
        return round(self.spend.difference * self.treated.members)


def campaign_subject(public_id: str) -> Subject:
    from notifications.campaigns.models import Campaign

    campaign = db.session.scalar(select(Campaign).where(Campaign.public_id == public_id))
    if campaign is None:
        raise not_found("campaign")
    return Subject(
        rules.CAMPAIGN, campaign.id, campaign.public_id, campaign.holdout_percent, campaign.sent_at
    )


def offer_subject(public_id: str) -> Subject:
    offer = db.session.scalar(select(Offer).where(Offer.public_id == public_id))
    if offer is None:
        raise not_found("offer")
    starts = offer.starts_at if offer.holdout_recorded_at is not None else None
    return Subject(rules.OFFER, offer.id, offer.public_id, offer.holdout_percent, starts)


def _squares(column):
    # Exact on PostgreSQL (numeric); SQLite's integers would overflow, its floats do not.
    if sql.dialect() == "sqlite":
        return func.sum(cast(column, Float) * column)
    return func.sum(cast(column, Numeric) * column)


def _groups(subject: Subject, start: datetime, end: datetime) -> dict[bool, Group]:
    a = HoldoutAssignment
    in_window = and_(
        Purchase.member_id == a.member_id, Purchase.occurred_at >= start, Purchase.occurred_at < end
    )
    per_member = (
        select(
            a.held_out.label("held_out"),
            func.coalesce(func.sum(Purchase.amount_minor - Purchase.refunded_minor), 0).label(
                "spend"
            ),
            func.count(Purchase.id).label("visits"),
        )
        .select_from(a)
        .outerjoin(Purchase, in_window)
        .where(a.subject_kind == subject.kind, a.subject_id == subject.id)
        .group_by(a.member_id, a.held_out)
        .subquery()
    )
    rows = db.session.execute(
        select(
            per_member.c.held_out,
            func.count(),
            func.sum(per_member.c.spend),
            _squares(per_member.c.spend),
            func.sum(per_member.c.visits),
            _squares(per_member.c.visits),
        ).group_by(per_member.c.held_out)
    ).all()
    groups = {True: Group(0, Sample(0, 0, 0), Sample(0, 0, 0))}
    groups[False] = groups[True]
    for held, n, spend, spend_sq, visits, visits_sq in rows:
        groups[bool(held)] = Group(
            n,
            Sample.from_sums(n, float(spend or 0), float(spend_sq or 0)),
            Sample.from_sums(n, float(visits or 0), float(visits_sq or 0)),
        )
    return groups


def measure(subject: Subject, window_days: int, now: datetime | None = None) -> Lift:
    if not subject.percent:
        raise ApiError(409, "lift_no_holdout", f"This {subject.kind} holds no members back.")
    if subject.starts_at is None:
        raise ApiError(
            409,
            "lift_not_started",
            f"The {subject.kind}'s groups are recorded when it is sent or starts.",
        )
    now = now or utcnow()
    start = subject.starts_at
    end = start + timedelta(days=window_days)
    groups = _groups(subject, start, end)
    treated, held = groups[False], groups[True]
    return Lift(
        subject,
        window_days,
        start,
        end,
        now >= end,
        treated,
        held,
        welch(treated.spend, held.spend),
        welch(treated.visits, held.visits),
    )


def _finished_subjects(now: datetime, days: int) -> list[Subject]:
    done = select(LiftResult.subject_id).where(LiftResult.subject_kind == rules.OFFER)
    cutoff = now - timedelta(days=days)
    subjects = [
        Subject(rules.OFFER, o.id, o.public_id, o.holdout_percent, o.starts_at)
        for o in db.session.scalars(
            select(Offer).where(
                Offer.holdout_percent > 0,
                Offer.holdout_recorded_at.is_not(None),
                Offer.starts_at <= cutoff,
                Offer.id.not_in(done),
            )
        )
    ]
    if "notifications" in current_app.config["FEATURES"]:
        from notifications.campaigns.models import Campaign

        done = select(LiftResult.subject_id).where(LiftResult.subject_kind == rules.CAMPAIGN)
        subjects += [
            Subject(rules.CAMPAIGN, c.id, c.public_id, c.holdout_percent, c.sent_at)
            for c in db.session.scalars(
                select(Campaign).where(
                    Campaign.holdout_percent > 0,
                    Campaign.sent_at.is_not(None),
                    Campaign.sent_at <= cutoff,
                    Campaign.id.not_in(done),
                )
            )
        ]
    return subjects


def record_finished(now: datetime) -> int:
    """Measure, once, every campaign and offer whose default window is over: the return
    report's incremental spend, by the month the subject started."""
    days = current_app.config["ANALYTICS_LIFT_WINDOW_DAYS"]
    subjects = _finished_subjects(now, days)
    for subject in subjects:
        lift = measure(subject, days, now)
        db.session.add(
            LiftResult(
                subject_kind=subject.kind,
                subject_id=subject.id,
                month=lift.starts_at.date().replace(day=1),
                window_days=days,
                treated=lift.treated.members,
                held_out=lift.held_out.members,
                incremental_spend_minor=lift.incremental_spend_minor,
                significant=lift.spend.verdict == SIGNIFICANT,
                computed_at=now,
            )
        )
    db.session.flush()
    return len(subjects)
