"""The aggregation job: sums what was recorded on each closed day, once, and refreshes what is
a state rather than a flow (balances, tiers).

Incremental by a watermark: the last UTC day whose recorded rows are summed. A run sums the
days after it that are over (a day is over `ANALYTICS_GRACE_MINUTES` after midnight UTC, so
that transactions begun before midnight have committed), in batches of days, each batch in one
transaction with the watermark moved: a run that dies leaves the watermark where the last
committed batch put it, and nothing is summed twice.

Rows are chosen by when they were *recorded* (`created_at`) and added to the day they
*occurred* on. A purchase a till sends late (`occurred_at` up to 30 days back) is summed with
the day it was recorded and lands in its own day's figures then: no day is ever summed again,
and no late row is lost. So a past day's sums can grow when late purchases arrive; what the
aggregates hold always equals the raw rows recorded up to the end of the watermark's day.

After the days, every run refreshes the state that is not a flow: the members' tiers (a
change since the last run is a tier move, in the month of the move), home stores, the balance
snapshot (points outstanding and expiring, as of the run) and the lifts of campaigns and offers
whose window has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import (
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    literal_column,
    select,
    true,
    update,
)

from analytics import sql
from analytics.aggregates import counters as counters_mod
from analytics.aggregates.models import (
    NO_CHANNEL,
    NO_STORE,
    BalanceSnapshot,
    CohortMonth,
    CohortPoints,
    DailyCount,
    DailyPoints,
    DailySales,
    MemberMonth,
    MemberStats,
    TierMove,
    Watermark,
)
from app.extensions import db
from app.ledger.models import LedgerEntry, PointLot
from app.members.models import Member
from app.models_base import utcnow
from app.offers.models import Offer, OfferClaim
from app.purchases.models import Purchase, Refund

WATERMARK = "daily"
EXPIRY_HORIZONS = (30, 60, 90)


@dataclass(frozen=True)
class RunResult:
    summed_from: date | None
    summed_through: date | None
    batches: int
    watermark: date | None


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def last_closed_day(now: datetime) -> date:
    grace = timedelta(minutes=current_app.config["ANALYTICS_GRACE_MINUTES"])
    return (now - grace).astimezone(UTC).date() - timedelta(days=1)


def watermark() -> date | None:
    row = db.session.get(Watermark, WATERMARK)
    return row.day if row else None


def _first_recorded_day() -> date | None:
    """The day of the oldest recorded row: where the first run starts (a full scan, once)."""
    firsts = [
        db.session.scalar(select(func.min(column)))
        for column in (LedgerEntry.created_at, Purchase.created_at, Member.joined_at)
    ]
    firsts = [f for f in firsts if f is not None]
    return min(firsts).astimezone(UTC).date() if firsts else None


def run(now: datetime | None = None, through: date | None = None) -> RunResult:
    """Sum every closed day not summed yet (up to `through` at most), then refresh the state."""
    now = now or utcnow()
    last = last_closed_day(now)
    if through is not None:
        last = min(last, through)
    mark = watermark()
    start = mark + timedelta(days=1) if mark else _first_recorded_day()
    batch_days = current_app.config["ANALYTICS_BATCH_DAYS"]
    batches = 0
    first = start
    day = start
    while day is not None and day <= last:
        end = min(day + timedelta(days=batch_days - 1), last)
        sum_days(day, end)
        _set_watermark(end, now)
        db.session.commit()
        batches += 1
        day = end + timedelta(days=1)
    if start is None or start > last:
        first = None
    refresh_state(now)
    db.session.commit()
    return RunResult(first, last if first else None, batches, watermark())


def _set_watermark(day: date, now: datetime) -> None:
    row = db.session.get(Watermark, WATERMARK)
    if row is None:
        db.session.add(Watermark(name=WATERMARK, day=day, updated_at=now))
    else:
        row.day, row.updated_at = day, now
    db.session.flush()


def sum_days(first: date, last: date) -> None:
    """Add what was recorded from `first` to `last` (UTC days, inclusive) to the sums."""
    t0, t1 = start_of(first), start_of(last + timedelta(days=1))
    _member_stats_for_new_members()
    _sales(t0, t1)
    _refunds(t0, t1)
    _member_months(t0, t1)
    _points(t0, t1)
    _counters(t0, t1)


def _home_store() -> object:
    return func.coalesce(Member.home_store_id, literal_column(str(NO_STORE)))


def _sales(t0: datetime, t1: datetime) -> None:
    discount = (
        select(
            OfferClaim.purchase_id.label("purchase_id"),
            func.sum(Offer.discount_percent).label("percent"),
        )
        .join(Offer, Offer.id == OfferClaim.offer_id)
        .where(Offer.benefit == "discount", OfferClaim.purchase_id.is_not(None))
        .group_by(OfferClaim.purchase_id)
        .subquery()
    )
    day = sql.utc_day(Purchase.occurred_at)
    source = (
        select(
            day,
            Purchase.store_id,
            Purchase.channel,
            Member.tier_id,
            func.count(),
            func.sum(Purchase.amount_minor),
            func.coalesce(
                func.sum(Purchase.amount_minor * func.coalesce(discount.c.percent, 0) / 100), 0
            ),
        )
        .join(Member, Member.id == Purchase.member_id)
        .outerjoin(discount, discount.c.purchase_id == Purchase.id)
        .where(Purchase.created_at >= t0, Purchase.created_at < t1)
        .group_by(day, Purchase.store_id, Purchase.channel, Member.tier_id)
    )
    db.session.execute(
        sql.upsert_adding(
            DailySales,
            ["day", "store_id", "channel", "tier_id"],
            ["purchases", "spend_minor", "discount_minor"],
            source,
        )
    )


def _refunds(t0: datetime, t1: datetime) -> None:
    day = sql.utc_day(Refund.created_at)
    source = (
        select(
            day,
            Purchase.store_id,
            Purchase.channel,
            Member.tier_id,
            func.count(),
            func.sum(Refund.amount_minor),
        )
        .join(Purchase, Purchase.id == Refund.purchase_id)
        .join(Member, Member.id == Purchase.member_id)
        .where(Refund.created_at >= t0, Refund.created_at < t1)
        .group_by(day, Purchase.store_id, Purchase.channel, Member.tier_id)
    )
    db.session.execute(
        sql.upsert_adding(
            DailySales,
            ["day", "store_id", "channel", "tier_id"],
            ["refunds", "refunded_minor"],
            source,
        )
    )


def _per_member_month(t0: datetime, t1: datetime):
    month = sql.utc_month(Purchase.occurred_at)
    return (
        select(
            Purchase.member_id.label("member_id"),
            month.label("month"),
            func.count().label("purchases"),
            func.sum(Purchase.amount_minor).label("spend_minor"),
            func.max(sql.utc_day(Purchase.occurred_at)).label("last_day"),
        )
        .where(Purchase.created_at >= t0, Purchase.created_at < t1)
        .group_by(Purchase.member_id, month)
        .subquery()
    )


def _member_months(t0: datetime, t1: datetime) -> None:
    """A member's first purchase in a month makes them one more active member of their
    cohort that month: counted before the member's month is written."""
    d = _per_member_month(t0, t1)
    seen = exists().where(MemberMonth.member_id == d.c.member_id, MemberMonth.month == d.c.month)
    join_month = sql.utc_month(Member.joined_at)
    cohort = (
        select(
            join_month,
            _home_store(),
            d.c.month,
            func.sum(case((seen, 0), else_=1)),
            func.sum(d.c.purchases),
            func.sum(d.c.spend_minor),
        )
        .join(Member, Member.id == d.c.member_id)
        .where(true())
        .group_by(join_month, _home_store(), d.c.month)
    )
    db.session.execute(
        sql.upsert_adding(
            CohortMonth,
            ["join_month", "home_store_id", "month"],
            ["active_members", "purchases", "spend_minor"],
            cohort,
        )
    )
    db.session.execute(
        sql.upsert_adding(
            MemberMonth,
            ["member_id", "month"],
            ["purchases", "spend_minor"],
            select(d.c.member_id, d.c.month, d.c.purchases, d.c.spend_minor).where(true()),
        )
    )
    per_member = (
        select(
            d.c.member_id,
            sql.utc_month(Member.joined_at),
            _home_store(),
            Member.tier_id,
            func.max(d.c.last_day),
            func.sum(d.c.purchases),
            func.sum(d.c.spend_minor),
        )
        .join(Member, Member.id == d.c.member_id)
        .where(true())
        .group_by(d.c.member_id, Member.id)
    )
    stmt = sql.insert(MemberStats).from_select(
        [
            "member_id",
            "join_month",
            "home_store_id",
            "tier_id",
            "last_purchase_on",
            "purchases",
            "spend_minor",
        ],
        per_member,
    )
    table = MemberStats.__table__
    latest = sql.greatest(
        func.coalesce(table.c.last_purchase_on, stmt.excluded.last_purchase_on),
        stmt.excluded.last_purchase_on,
    )
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["member_id"],
            set_={
                "last_purchase_on": latest,
                "purchases": table.c.purchases + stmt.excluded.purchases,
                "spend_minor": table.c.spend_minor + stmt.excluded.spend_minor,
            },
        )
    )


def _points(t0: datetime, t1: datetime) -> None:
    delta = LedgerEntry.available_delta + LedgerEntry.pending_delta
    points_in = func.sum(case((delta > 0, delta), else_=0))
    points_out = func.sum(case((delta < 0, -delta), else_=0))
    by_purchase = and_(
        LedgerEntry.reference_type == "purchase", Purchase.public_id == LedgerEntry.reference_id
    )
    day = sql.utc_day(LedgerEntry.created_at)
    store = func.coalesce(Purchase.store_id, Member.home_store_id, NO_STORE)
    channel = func.coalesce(Purchase.channel, literal(NO_CHANNEL))
    in_range = (LedgerEntry.created_at >= t0, LedgerEntry.created_at < t1)
    daily = (
        select(
            day,
            LedgerEntry.kind,
            LedgerEntry.reference_type,
            store,
            channel,
            points_in,
            points_out,
            func.count(),
        )
        .join(Member, Member.id == LedgerEntry.member_id)
        .outerjoin(Purchase, by_purchase)
        .where(*in_range)
        .group_by(day, LedgerEntry.kind, LedgerEntry.reference_type, store, channel)
    )
    db.session.execute(
        sql.upsert_adding(
            DailyPoints,
            ["day", "kind", "source", "store_id", "channel"],
            ["points_in", "points_out", "entries"],
            daily,
        )
    )
    join_month = sql.utc_month(Member.joined_at)
    cohort = (
        select(join_month, _home_store(), LedgerEntry.kind, points_in, points_out)
        .join(Member, Member.id == LedgerEntry.member_id)
        .where(*in_range)
        .group_by(join_month, _home_store(), LedgerEntry.kind)
    )
    db.session.execute(
        sql.upsert_adding(
            CohortPoints,
            ["join_month", "home_store_id", "kind"],
            ["points_in", "points_out"],
            cohort,
        )
    )


def _counters(t0: datetime, t1: datetime) -> None:
    for counter in counters_mod.counters(current_app):
        day = sql.utc_day(counter.time)
        value = func.count() if counter.value is None else func.coalesce(func.sum(counter.value), 0)
        model = counter.time.class_
        stmt = select(day, literal(counter.metric), _home_store(), value).select_from(model)
        for target, on in counter.joins:
            stmt = stmt.join(target, on)
        if model is not Member:
            stmt = stmt.join(Member, Member.id == counter.member)
        stmt = stmt.where(counter.time >= t0, counter.time < t1, *counter.where).group_by(
            day, _home_store()
        )
        db.session.execute(
            sql.upsert_adding(DailyCount, ["day", "metric", "home_store_id"], ["value"], stmt)
        )


def _member_stats_for_new_members() -> None:
    """A row for every member the job has not seen, with the tier they have now (joining is
    not a tier move)."""
    # Members' ids only grow and every run adds every member there is: the ones above the
    # highest known are the new ones (an anti-join against a table without statistics yet
    # can be planned as a nested loop over a million rows).
    highest = select(func.coalesce(func.max(MemberStats.member_id), 0)).scalar_subquery()
    source = select(
        Member.id,
        sql.utc_month(Member.joined_at),
        _home_store(),
        Member.tier_id,
        literal(0),
        literal(0),
    ).where(Member.id > highest)
    db.session.execute(
        sql.insert(MemberStats)
        .from_select(
            ["member_id", "join_month", "home_store_id", "tier_id", "purchases", "spend_minor"],
            source,
        )
        .on_conflict_do_nothing()
    )


def refresh_state(now: datetime) -> None:
    _member_stats_for_new_members()
    _tier_moves()
    _home_stores()
    snapshot(now)
    from analytics.holdout import lift

    lift.record_finished(now)


def _tier_moves() -> None:
    """Members whose tier differs from the one last seen: one move each, in the month their
    current tier began (several moves between two runs count as the net one)."""
    moved = (MemberStats.member_id == Member.id) & (MemberStats.tier_id != Member.tier_id)
    month = sql.utc_month(Member.tier_since)
    source = (
        select(month, MemberStats.tier_id, Member.tier_id, func.count())
        .join(MemberStats, moved)
        .where(true())
        .group_by(month, MemberStats.tier_id, Member.tier_id)
    )
    db.session.execute(
        sql.upsert_adding(TierMove, ["month", "from_tier_id", "to_tier_id"], ["moves"], source)
    )
    current = select(Member.tier_id).where(Member.id == MemberStats.member_id).scalar_subquery()
    db.session.execute(
        update(MemberStats)
        .where(exists().where(moved))
        .values(tier_id=current)
        .execution_options(synchronize_session=False)
    )


def _home_stores() -> None:
    home = func.coalesce(Member.home_store_id, NO_STORE)
    changed = (MemberStats.member_id == Member.id) & (MemberStats.home_store_id != home)
    current = select(home).where(Member.id == MemberStats.member_id).scalar_subquery()
    db.session.execute(
        update(MemberStats)
        .where(exists().where(changed))
        .values(home_store_id=current)
        .execution_options(synchronize_session=False)
    )


def snapshot(now: datetime) -> None:
    """Replace the balance snapshot: members and their points now, by join month, home store
    and tier, with the available points that expire within 30, 60 and 90 days."""
    horizon = {days: now + timedelta(days=days) for days in EXPIRY_HORIZONS}
    expiring = (
        select(
            PointLot.member_id.label("member_id"),
            *(
                func.sum(
                    case((PointLot.expires_at < horizon[days], PointLot.remaining), else_=0)
                ).label(f"e{days}")
                for days in EXPIRY_HORIZONS
            ),
        )
        .where(
            PointLot.released,
            PointLot.remaining > 0,
            PointLot.expires_at < horizon[max(EXPIRY_HORIZONS)],
        )
        .group_by(PointLot.member_id)
        .subquery()
    )
    join_month = sql.utc_month(Member.joined_at)
    source = (
        select(
            join_month,
            _home_store(),
            Member.tier_id,
            func.count(),
            func.sum(case((Member.ended_at.is_not(None), 1), else_=0)),
            func.sum(Member.points_available),
            func.sum(Member.points_pending),
            *(func.coalesce(func.sum(expiring.c[f"e{d}"]), 0) for d in EXPIRY_HORIZONS),
            literal(now, BalanceSnapshot.taken_at.type),
        )
        .outerjoin(expiring, expiring.c.member_id == Member.id)
        .group_by(join_month, _home_store(), Member.tier_id)
    )
    db.session.execute(delete(BalanceSnapshot))
    db.session.execute(
        sql.insert(BalanceSnapshot).from_select(
            [
                "join_month",
                "home_store_id",
                "tier_id",
                "members",
                "ended_members",
                "points_available",
                "points_pending",
                "expiring_30",
                "expiring_60",
                "expiring_90",
                "taken_at",
            ],
            source,
        )
    )
