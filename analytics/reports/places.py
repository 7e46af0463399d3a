"""Tiers and stores: members and spend per tier, tier moves per month, and sales per store or
region."""

from __future__ import annotations

from sqlalchemy import func, select

from analytics.aggregates.models import BalanceSnapshot, DailyPoints, DailySales, TierMove
from analytics.reports.common import default_period, money, month_start, ratio, summed_through
from analytics.reports.filters import Filters
from analytics.reports.sales import earned, points_by, sales_by
from app.extensions import db
from app.program.service import get_program
from app.stores.models import Region, Store
from app.tiers.models import Tier

MONTHS = 12


def _moves(start, end) -> list[tuple]:
    return db.session.execute(
        select(TierMove.month, TierMove.from_tier_id, TierMove.to_tier_id, func.sum(TierMove.moves))
        .where(TierMove.month >= month_start(start), TierMove.month <= end)
        .group_by(TierMove.month, TierMove.from_tier_id, TierMove.to_tier_id)
        .order_by(TierMove.month, TierMove.from_tier_id, TierMove.to_tier_id)
    ).all()


def tiers(filters: Filters) -> dict:
    start, end = default_period(filters.start, filters.end, months=MONTHS)
    place = [BalanceSnapshot.home_store_id.in_(filters.store_ids)] if filters.by_place else []
    members = dict(
        db.session.execute(
            select(
                BalanceSnapshot.tier_id,
                func.sum(BalanceSnapshot.members - BalanceSnapshot.ended_members),
            )
            .where(*place)
            .group_by(BalanceSnapshot.tier_id)
        ).all()
    )
    sales = sales_by(filters, start, end, DailySales.tier_id)
    ordered = list(db.session.scalars(select(Tier).order_by(Tier.rank)))
    rank = {t.id: t.rank for t in ordered}
    ups: dict[int, int] = {}
    downs: dict[int, int] = {}
    for _month, from_id, to_id, n in _moves(start, end):
        bucket = ups if rank.get(to_id, 0) > rank.get(from_id, 0) else downs
        bucket[to_id] = bucket.get(to_id, 0) + int(n)
    total = sum(int(v or 0) for v in members.values())
    rows = []
    for tier in ordered:
        s = sales.get((tier.id,), {})
        count = int(members.get(tier.id) or 0)
        net = s.get("spend_minor", 0) - s.get("refunded_minor", 0)
        rows.append(
            {
                "tier": tier.code,
                "name": tier.name,
                "rank": tier.rank,
                "members": count,
                "share_of_members": ratio(count, total),
                "visits": s.get("purchases", 0),
                "spend": money(s.get("spend_minor", 0)),
                "net_spend": money(net),
                "net_spend_per_member": money(round(net / count)) if count else None,
                "upgrades_into": ups.get(tier.id, 0),
                "downgrades_into": downs.get(tier.id, 0),
            }
        )
    return {
        "summed_through": summed_through(),
        "currency": get_program().currency,
        "filters": filters.echo() | {"from": start, "to": end},
        "tiers": rows,
    }


def tier_moves(filters: Filters) -> dict:
    start, end = default_period(filters.start, filters.end, months=MONTHS)
    tiers_by_id = {t.id: t for t in db.session.scalars(select(Tier))}

    def code(tier_id: int) -> str:
        tier = tiers_by_id.get(tier_id)
        return tier.code if tier else str(tier_id)

    rows = []
    for month, from_id, to_id, n in _moves(start, end):
        a, b = tiers_by_id.get(from_id), tiers_by_id.get(to_id)
        up = a is not None and b is not None and b.rank > a.rank
        rows.append(
            {
                "month": month,
                "from_tier": code(from_id),
                "to_tier": code(to_id),
                "direction": "up" if up else "down",
                "moves": int(n),
            }
        )
    return {
        "summed_through": summed_through(),
        "filters": filters.echo() | {"from": start, "to": end},
        "moves": rows,
    }


GROUPS = ("store", "region")


def stores(filters: Filters, group: str) -> dict:
    start, end = default_period(filters.start, filters.end, months=MONTHS)
    sales = sales_by(filters, start, end, DailySales.store_id)
    points = points_by(
        filters, start, end, DailyPoints.store_id, kinds=("earn", "bonus"), purchases_only=True
    )
    place = [BalanceSnapshot.home_store_id.in_(filters.store_ids)] if filters.by_place else []
    home = dict(
        db.session.execute(
            select(
                BalanceSnapshot.home_store_id,
                func.sum(BalanceSnapshot.members - BalanceSnapshot.ended_members),
            )
            .where(*place)
            .group_by(BalanceSnapshot.home_store_id)
        ).all()
    )
    stmt = (
        select(Store, Region)
        .join(Region, Region.id == Store.region_id)
        .order_by(Region.code, Store.code)
    )
    if filters.by_place:
        stmt = stmt.where(Store.id.in_(filters.store_ids))
    keyed: dict[int, dict] = {}
    for store, region in db.session.execute(stmt):
        key = store.id if group == "store" else region.id
        row = keyed.setdefault(
            key,
            {
                "store": store.public_id if group == "store" else None,
                "store_code": store.code if group == "store" else None,
                "store_name": store.name if group == "store" else None,
                "region": region.public_id,
                "region_code": region.code,
                "region_name": region.name,
                "_sums": {
                    "purchases": 0,
                    "spend_minor": 0,
                    "refunded_minor": 0,
                    "discount_minor": 0,
                },
                "_points": 0,
                "_home": 0,
            },
        )
        s = sales.get((store.id,), {})
        for name in row["_sums"]:
            row["_sums"][name] += s.get(name, 0)
        row["_points"] += earned(points, (store.id,))
        row["_home"] += int(home.get(store.id) or 0)
    rows = []
    for row in keyed.values():
        sums = row.pop("_sums")
        points_earned, home_members = row.pop("_points"), row.pop("_home")
        rows.append(
            row
            | {
                "visits": sums["purchases"],
                "spend": money(sums["spend_minor"]),
                "refunds": money(sums["refunded_minor"]),
                "net_spend": money(sums["spend_minor"] - sums["refunded_minor"]),
                "discounts": money(sums["discount_minor"]),
                "points_earned": points_earned,
                "home_members": None if filters.channel else home_members,
            }
        )
    return {
        "summed_through": summed_through(),
        "currency": get_program().currency,
        "filters": filters.echo() | {"from": start, "to": end},
        "group": group,
        "rows": rows,
    }
