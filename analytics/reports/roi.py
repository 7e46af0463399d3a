"""The return: per month, members' spend and visits, what the program cost (points redeemed at
the cost per point, offer discounts, rewards given as prizes) and the incremental spend that
holdout groups measured."""

from __future__ import annotations

from sqlalchemy import func, select

from analytics.aggregates.models import CohortMonth, DailyCount, DailyPoints, DailySales, LiftResult
from analytics.reports.common import (
    cost_per_point,
    default_period,
    money,
    month_start,
    months_between,
    ratio,
    summed_through,
    value_of,
)
from analytics.reports.filters import Filters
from analytics.reports.sales import by_month, counts_by, earned, points_by, sales_by, spent
from app.extensions import db
from app.program.service import get_program

MONTHS = 12


def roi(filters: Filters) -> dict:
    cpp = cost_per_point()
    start, end = default_period(filters.start, filters.end, months=MONTHS)
    months = months_between(start, end)
    sales = sales_by(filters, start, end, by_month(DailySales.day))
    points = points_by(filters, start, end, by_month(DailyPoints.day))
    prizes = counts_by(filters, start, end, by_month(DailyCount.day), metrics=("prize_points",))
    active_where = [CohortMonth.month >= month_start(start), CohortMonth.month <= end]
    if filters.by_place:
        active_where.append(CohortMonth.home_store_id.in_(filters.store_ids))
    active = dict(
        db.session.execute(
            select(CohortMonth.month, func.sum(CohortMonth.active_members))
            .where(*active_where)
            .group_by(CohortMonth.month)
        ).all()
    )
    lifts = {}
    measurable = not filters.by_place and not filters.channel
    if measurable:
        lifts = {
            month: (int(total or 0), n)
            for month, total, n in db.session.execute(
                select(LiftResult.month, func.sum(LiftResult.incremental_spend_minor), func.count())
                .where(LiftResult.month >= month_start(start), LiftResult.month <= end)
                .group_by(LiftResult.month)
            )
        }
    # A channel filter leaves what has no channel unknown (null), not zero.
    no_channel = filters.channel is not None
    rows = []
    for month in months:
        s = sales.get((month,), {})
        spend, refunded = s.get("spend_minor", 0), s.get("refunded_minor", 0)
        discounts = s.get("discount_minor", 0)
        redeemed = None if no_channel else spent(points, (month,))
        prize_points = None if no_channel else prizes.get((month, "prize_points"), 0)
        redeemed_cost = value_of(redeemed, cpp)
        prize_cost = value_of(prize_points, cpp)
        total = None
        if redeemed_cost is not None and prize_cost is not None:
            total = redeemed_cost + money(discounts) + prize_cost
        # A lift is measured over all of a member's purchases: no store or channel share.
        incremental, measured = lifts.get(month, (0, 0)) if measurable else (None, 0)
        rows.append(
            {
                "month": month,
                "active_members": None if no_channel else int(active.get(month) or 0),
                "visits": s.get("purchases", 0),
                "spend": money(spend),
                "refunds": money(refunded),
                "net_spend": money(spend - refunded),
                "points_earned": earned(points, (month,)),
                "points_redeemed": redeemed,
                "cost_points_redeemed": redeemed_cost,
                "cost_discounts": money(discounts),
                "prize_points": prize_points,
                "cost_prizes": prize_cost,
                "cost_total": total,
                "cost_share_of_net_spend": ratio(total, money(spend - refunded)),
                "incremental_spend": money(incremental),
                "lifts_measured": measured,
            }
        )
    return {
        "summed_through": summed_through(),
        "currency": get_program().currency,
        "cost_per_point": cpp,
        "filters": filters.echo() | {"from": start, "to": end},
        "months": rows,
    }
