"""Cohorts: members by join month, and per month since joining the share still purchasing
and their average spend."""

from __future__ import annotations

from sqlalchemy import func, select

from analytics.aggregates.models import BalanceSnapshot, CohortMonth
from analytics.reports.common import (
    add_months,
    money,
    month_start,
    months_apart,
    ratio,
    summed_through,
)
from analytics.reports.filters import Filters
from app.extensions import db
from app.program.service import get_program


def cohorts(filters: Filters) -> dict:
    last = summed_through()
    size_where = []
    active_where = []
    if filters.by_place:
        size_where.append(BalanceSnapshot.home_store_id.in_(filters.store_ids))
        active_where.append(CohortMonth.home_store_id.in_(filters.store_ids))
    if filters.start:
        size_where.append(BalanceSnapshot.join_month >= month_start(filters.start))
        active_where.append(CohortMonth.join_month >= month_start(filters.start))
    if filters.end:
        size_where.append(BalanceSnapshot.join_month <= filters.end)
        active_where.append(CohortMonth.join_month <= filters.end)
    sizes = dict(
        db.session.execute(
            select(BalanceSnapshot.join_month, func.sum(BalanceSnapshot.members))
            .where(*size_where)
            .group_by(BalanceSnapshot.join_month)
        ).all()
    )
    activity = {
        (join, month): (int(n or 0), int(spend or 0))
        for join, month, n, spend in db.session.execute(
            select(
                CohortMonth.join_month,
                CohortMonth.month,
                func.sum(CohortMonth.active_members),
                func.sum(CohortMonth.spend_minor),
            )
            .where(*active_where)
            .group_by(CohortMonth.join_month, CohortMonth.month)
        )
    }
    rows = []
    through = month_start(last) if last else None
    for join in sorted(sizes):
        size = int(sizes[join] or 0)
        if not size or through is None:
            continue
        for k in range(months_apart(through, join) + 1):
            month = add_months(join, k)
            active, spend = activity.get((join, month), (0, 0))
            rows.append(
                {
                    "join_month": join,
                    "months_since_joining": k,
                    "month": month,
                    "members": size,
                    "active_members": active,
                    "share_active": ratio(active, size),
                    "spend": money(spend),
                    "average_spend": money(round(spend / active)) if active else None,
                }
            )
    return {
        "summed_through": last,
        "currency": get_program().currency,
        "filters": filters.echo(),
        "cohorts": rows,
    }
