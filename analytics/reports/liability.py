"""What the program owes: points outstanding and their value, what expires soon, and the
estimated breakage by join-month cohort."""

from __future__ import annotations

from collections import defaultdict

from flask import current_app
from sqlalchemy import func, select

from analytics import breakage
from analytics.aggregates.job import EXPIRY_HORIZONS
from analytics.aggregates.models import BalanceSnapshot, CohortPoints
from analytics.reports.common import cost_per_point, summed_through, value_of
from analytics.reports.filters import Filters
from app.extensions import db
from app.program.service import get_program

# Points given back after being spent (an event's booking cancelled): no longer redeemed.
SPENT_KIND, RETURNED_KIND, EXPIRED_KIND = "redeem", "refund", "expire"


def _in_place(column, filters: Filters) -> list:
    return [column.in_(filters.store_ids)] if filters.by_place else []


def cohort_history(filters: Filters) -> dict:
    """join month -> (redeemed, expired) over the cohort's whole history."""
    rows = db.session.execute(
        select(
            CohortPoints.join_month,
            CohortPoints.kind,
            func.sum(CohortPoints.points_in),
            func.sum(CohortPoints.points_out),
        )
        .where(
            CohortPoints.kind.in_((SPENT_KIND, RETURNED_KIND, EXPIRED_KIND)),
            *_in_place(CohortPoints.home_store_id, filters),
        )
        .group_by(CohortPoints.join_month, CohortPoints.kind)
    ).all()
    spent: dict = defaultdict(int)
    expired: dict = defaultdict(int)
    for month, kind, points_in, points_out in rows:
        if kind == SPENT_KIND:
            spent[month] += int(points_out or 0) - int(points_in or 0)
        elif kind == RETURNED_KIND:
            spent[month] -= int(points_in or 0)
        else:
            expired[month] += int(points_out or 0)
    return {m: (max(spent[m], 0), expired[m]) for m in set(spent) | set(expired)}


def liability(filters: Filters) -> dict:
    cpp = cost_per_point()
    sums = [
        func.sum(BalanceSnapshot.members),
        func.sum(BalanceSnapshot.ended_members),
        func.sum(BalanceSnapshot.points_available),
        func.sum(BalanceSnapshot.points_pending),
        *(func.sum(getattr(BalanceSnapshot, f"expiring_{d}")) for d in EXPIRY_HORIZONS),
    ]
    rows = db.session.execute(
        select(BalanceSnapshot.join_month, *sums)
        .where(*_in_place(BalanceSnapshot.home_store_id, filters))
        .group_by(BalanceSnapshot.join_month)
        .order_by(BalanceSnapshot.join_month)
    ).all()
    taken_at = db.session.scalar(select(func.max(BalanceSnapshot.taken_at)))
    history = cohort_history(filters)
    members = {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}
    estimate = breakage.estimate(
        [
            breakage.CohortHistory(
                r[0], int(r[3] or 0) + int(r[4] or 0), *history.get(r[0], (0, 0))
            )
            for r in rows
        ],
        current_app.config["ANALYTICS_BREAKAGE_MIN_POINTS"],
    )
    available = sum(int(r[3] or 0) for r in rows)
    pending = sum(int(r[4] or 0) for r in rows)
    expiring = [
        {
            "within_days": days,
            "points": (points := sum(int(r[5 + i] or 0) for r in rows)),
            "value": value_of(points, cpp),
        }
        for i, days in enumerate(EXPIRY_HORIZONS)
    ]
    return {
        "as_of": taken_at,
        "summed_through": summed_through(),
        "currency": get_program().currency,
        "cost_per_point": cpp,
        "filters": filters.echo(),
        "members": sum(m for m, _ in members.values()),
        "ended_members": sum(e for _, e in members.values()),
        "points_available": available,
        "points_pending": pending,
        "points_outstanding": available + pending,
        "value_available": value_of(available, cpp),
        "value_pending": value_of(pending, cpp),
        "value_outstanding": value_of(available + pending, cpp),
        "expiring": expiring,
        "breakage": {
            "method": estimate.method,
            "rate": estimate.rate,
            "points": estimate.expected_points,
            "value": value_of(estimate.expected_points, cpp),
        },
        "cohorts": [
            {
                "join_month": c.join_month,
                "members": members[c.join_month][0],
                "points_outstanding": c.outstanding,
                "value_outstanding": value_of(c.outstanding, cpp),
                "points_redeemed": c.redeemed,
                "points_expired": c.expired,
                "breakage_rate": c.rate,
                "rate_source": c.rate_source,
                "breakage_points": c.expected_points,
                "breakage_value": value_of(c.expected_points, cpp),
            }
            for c in estimate.cohorts
        ],
    }
