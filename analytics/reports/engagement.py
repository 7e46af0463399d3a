"""Engagement over a period: active members, points earned against spent, and the activity
each loaded package counts (games, pushes, offers, referrals and partners, community)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from analytics.aggregates import counters as counters_mod
from analytics.aggregates.models import BalanceSnapshot, MemberStats
from analytics.reports.common import default_period, ratio, summed_through
from analytics.reports.filters import Filters
from analytics.reports.sales import counts_by, earned, points_by, sales_by, spent
from app.extensions import db

# Rates worked out from the counters: (group, name, numerator, denominator, description).
RATES = (
    (
        "offers",
        "offer_redemption_rate",
        "offer_redemptions",
        "offer_claims",
        "Redemptions per claim",
    ),
    ("push", "push_open_rate", "push_opened", "push_sent", "Opens per push sent"),
    (
        "referrals",
        "referral_qualification_rate",
        "referrals_qualified",
        "referrals_joined",
        "Qualified per friend joined",
    ),
    (
        "referrals",
        "referral_reward_rate",
        "referrals_rewarded",
        "referrals_qualified",
        "Rewarded per qualified",
    ),
    (
        "partners",
        "partner_qualification_rate",
        "partner_qualified",
        "partner_signups",
        "Qualified per sign-up",
    ),
)


def _metric(group: str, name: str, value, unit: str, description: str) -> dict:
    return {"group": group, "name": name, "value": value, "unit": unit, "description": description}


def engagement(filters: Filters) -> dict:
    start, end = default_period(filters.start, filters.end, days=30)
    no_channel = filters.channel is not None
    as_of = summed_through()
    place = [MemberStats.home_store_id.in_(filters.store_ids)] if filters.by_place else []

    def active(days: int):
        if no_channel or as_of is None:
            return None
        since = as_of - timedelta(days=days - 1)
        return db.session.scalar(
            select(func.count())
            .select_from(MemberStats)
            .where(MemberStats.last_purchase_on >= since, *place)
        )

    snap_place = [BalanceSnapshot.home_store_id.in_(filters.store_ids)] if filters.by_place else []
    members = db.session.scalar(
        select(
            func.coalesce(func.sum(BalanceSnapshot.members - BalanceSnapshot.ended_members), 0)
        ).where(*snap_place)
    )
    points = points_by(filters, start, end)
    sales = sales_by(filters, start, end).get((), {})
    points_earned = earned(points)
    points_spent = None if no_channel else spent(points)
    expired = None if no_channel else points.get(("expire",), (0, 0))[1]
    metrics = [
        _metric(
            "members",
            "members",
            None if no_channel else int(members),
            "members",
            "Members with a live membership (now)",
        ),
        _metric(
            "members",
            "active_30_days",
            active(30),
            "members",
            "Purchased in the 30 days to the last summed day",
        ),
        _metric(
            "members",
            "active_90_days",
            active(90),
            "members",
            "Purchased in the 90 days to the last summed day",
        ),
        _metric("sales", "visits", sales.get("purchases", 0), "purchases", "Purchases"),
        _metric(
            "points",
            "points_earned",
            points_earned,
            "points",
            "Points earned (purchases, bonuses, games, offers)",
        ),
        _metric(
            "points",
            "points_spent",
            points_spent,
            "points",
            "Points redeemed, net of points given back",
        ),
        _metric("points", "points_expired", expired, "points", "Points expired"),
        _metric(
            "points",
            "redemption_rate",
            ratio(points_spent, points_earned),
            "ratio",
            "Points spent per point earned",
        ),
    ]
    counters = counters_mod.counters(current_app)
    counts = counts_by(filters, start, end) if not no_channel else {}
    values: dict[str, int | None] = {}
    for counter in counters:
        values[counter.metric] = None if no_channel else counts.get((counter.metric,), 0)
        metrics.append(
            _metric(
                counter.group,
                counter.metric,
                values[counter.metric],
                "count" if counter.value is None else "points",
                counter.description,
            )
        )
    if "offer_claims" in values and not no_channel:
        metrics.append(
            _metric(
                "offers",
                "offer_claims_per_member",
                ratio(values["offer_claims"], members),
                "ratio",
                "Offer claims per member",
            )
        )
    for group, name, top, bottom, description in RATES:
        if top in values and bottom in values:
            metrics.append(
                _metric(group, name, ratio(values[top], values[bottom]), "ratio", description)
            )
    loaded = {"app", *current_app.config["FEATURES"]}
    return {
        "summed_through": as_of,
        "filters": filters.echo() | {"from": start, "to": end},
        "metrics": metrics,
        "packages_not_loaded": sorted(name for name in counters_mod.SOURCES if name not in loaded),
    }
