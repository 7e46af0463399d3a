"""The aggregates equal a direct computation from the raw rows, on a generated program whose
rows arrive late and out of order, summed by runs at several moments."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, timedelta

from sqlalchemy import func, select

from analytics.aggregates import job
from analytics.aggregates.job import start_of
from analytics.aggregates.models import (
    BalanceSnapshot,
    CohortMonth,
    CohortPoints,
    DailyPoints,
    DailySales,
    MemberMonth,
    MemberStats,
)
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.members.models import Member
from app.purchases.models import Purchase, Refund
from tests.analytics.builder import Builder, at

FIRST = at("2026-01-01 00:00")


def _generate(seed: int) -> None:
    rng = random.Random(seed)
    b = Builder()
    stores = [b.store("a", "south"), b.store("b", "south"), b.store("c", "north")]
    members = [
        b.member(
            f"g{i}",
            FIRST + timedelta(days=rng.randrange(0, 40), hours=rng.randrange(24)),
            rng.choice([*stores, None]),
        )
        for i in range(30)
    ]
    for _ in range(150):
        member = rng.choice(members)
        occurred = member.joined_at + timedelta(
            days=rng.randrange(0, 25), minutes=rng.randrange(1440)
        )
        # A third arrive late: up to five days after they happened.
        recorded = occurred + (
            timedelta(days=rng.randrange(1, 6), hours=3) if rng.random() < 0.33 else timedelta()
        )
        p = b.purchase(
            member,
            rng.choice(stores),
            rng.choice(("in_store", "online", "app")),
            rng.randrange(100, 20000),
            occurred,
            recorded,
        )
        if rng.random() < 0.2:
            b.refund(p, p.amount_minor // 2, recorded + timedelta(days=rng.randrange(0, 4)), 0)
    for member in members:
        for _ in range(rng.randrange(0, 3)):
            when = member.joined_at + timedelta(days=rng.randrange(1, 30))
            kind = rng.choice(("redeem", "expire", "adjust", "bonus"))
            amount = rng.randrange(1, 50)
            if kind in ("redeem", "expire") or (kind == "adjust" and rng.random() < 0.5):
                amount = -min(amount, member.points_available)
                if not amount:
                    continue
            b.entry(
                member,
                kind,
                when,
                available=amount,
                ref=("redemption" if kind == "redeem" else "admin", "x"),
            )
    db.session.commit()


def _day(ts):
    return ts.astimezone(UTC).date()


def _month(d):
    return d.replace(day=1)


def test_the_sums_are_the_raw_rows_recorded_before_the_watermark(app):
    with app.app_context():
        _generate(seed=14)
        # Runs at four moments, the last after everything was recorded.
        for now in (
            at("2026-01-15 03:00"),
            at("2026-01-29 03:00"),
            at("2026-02-11 03:00"),
            at("2026-04-01 03:00"),
        ):
            job.run(now=now)
        end = start_of(job.watermark() + timedelta(days=1))
        purchases = [p for p in db.session.scalars(select(Purchase)) if p.created_at < end]
        members = {m.id: m for m in db.session.scalars(select(Member))}

        sales: dict = defaultdict(Counter)
        for p in purchases:
            key = (_day(p.occurred_at), p.store_id, p.channel)
            sales[key]["purchases"] += 1
            sales[key]["spend_minor"] += p.amount_minor
        for r in db.session.scalars(select(Refund)):
            if r.created_at < end:
                p = db.session.get(Purchase, r.purchase_id)
                key = (_day(r.created_at), p.store_id, p.channel)
                sales[key]["refunds"] += 1
                sales[key]["refunded_minor"] += r.amount_minor
        summed: dict = defaultdict(Counter)
        for row in db.session.scalars(select(DailySales)):
            key = (row.day, row.store_id, row.channel)
            for name in ("purchases", "spend_minor", "refunds", "refunded_minor"):
                summed[key][name] += getattr(row, name)
        assert {k: +v for k, v in summed.items() if +v} == {k: +v for k, v in sales.items()}

        points: dict = defaultdict(Counter)
        cohorts: dict = defaultdict(Counter)
        for e in db.session.scalars(select(LedgerEntry)):
            if e.created_at >= end:
                continue
            delta = e.available_delta + e.pending_delta
            member = members[e.member_id]
            for bucket, key in (
                (points, (_day(e.created_at), e.kind)),
                (cohorts, (_month(_day(member.joined_at)), e.kind)),
            ):
                bucket[key]["in"] += max(delta, 0)
                bucket[key]["out"] += max(-delta, 0)
            points[(_day(e.created_at), e.kind)]["entries"] += 1
        summed_points: dict = defaultdict(Counter)
        for row in db.session.scalars(select(DailyPoints)):
            key = (row.day, row.kind)
            summed_points[key]["in"] += row.points_in
            summed_points[key]["out"] += row.points_out
            summed_points[key]["entries"] += row.entries
        assert {k: +v for k, v in summed_points.items()} == {k: +v for k, v in points.items()}
        summed_cohorts: dict = defaultdict(Counter)
        for row in db.session.scalars(select(CohortPoints)):
            summed_cohorts[(row.join_month, row.kind)]["in"] += row.points_in
            summed_cohorts[(row.join_month, row.kind)]["out"] += row.points_out
        assert {k: +v for k, v in summed_cohorts.items() if +v} == {
            k: +v for k, v in cohorts.items() if +v
        }

        # Distinct members active per cohort and month; each member's months and last day.
        active = Counter()
        months = defaultdict(Counter)
        last = {}
        for p in purchases:
            month = _month(_day(p.occurred_at))
            months[(p.member_id, month)]["purchases"] += 1
            months[(p.member_id, month)]["spend"] += p.amount_minor
            last[p.member_id] = max(last.get(p.member_id, _day(p.occurred_at)), _day(p.occurred_at))
        for member_id, month in months:
            active[(_month(_day(members[member_id].joined_at)), month)] += 1
        summed_active = Counter()
        for row in db.session.scalars(select(CohortMonth)):
            summed_active[(row.join_month, row.month)] += row.active_members
        assert +summed_active == +active
        assert {
            (r.member_id, r.month): (r.purchases, r.spend_minor)
            for r in db.session.scalars(select(MemberMonth))
        } == {k: (v["purchases"], v["spend"]) for k, v in months.items()}
        assert {
            r.member_id: r.last_purchase_on
            for r in db.session.scalars(
                select(MemberStats).where(MemberStats.last_purchase_on.is_not(None))
            )
        } == last

        # The snapshot is the members' cached balances.
        snap = db.session.execute(
            select(
                func.sum(BalanceSnapshot.members),
                func.sum(BalanceSnapshot.points_available),
                func.sum(BalanceSnapshot.points_pending),
            )
        ).one()
        assert tuple(snap) == (
            len(members),
            sum(m.points_available for m in members.values()),
            sum(m.points_pending for m in members.values()),
        )


def test_a_run_sums_no_day_twice(app):
    with app.app_context():
        _generate(seed=3)
        job.run(now=at("2026-02-01 03:00"))
        first = {
            (r.day, r.store_id, r.channel, r.tier_id): r.spend_minor
            for r in db.session.scalars(select(DailySales))
        }
        again = job.run(now=at("2026-02-01 05:00"))
        assert again.batches == 0
        assert {
            (r.day, r.store_id, r.channel, r.tier_id): r.spend_minor
            for r in db.session.scalars(select(DailySales))
        } == first
