"""Reading the sales and points sums under a report's filters."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from analytics import sql
from analytics.aggregates.models import DailyCount, DailyPoints, DailySales
from analytics.reports.filters import Filters
from app.extensions import db

SALES_SUMS = ("purchases", "spend_minor", "refunds", "refunded_minor", "discount_minor")
EARN_KINDS = ("earn", "bonus")


def sales_where(filters: Filters, start: date, end: date) -> list:
    where = [DailySales.day >= start, DailySales.day <= end]
    if filters.by_place:
        where.append(DailySales.store_id.in_(filters.store_ids))
    if filters.channel:
        where.append(DailySales.channel == filters.channel)
    return where


def sales_by(filters: Filters, start: date, end: date, *keys) -> dict:
    """key tuple -> {sum name: value} over the period."""
    rows = db.session.execute(
        select(*keys, *(func.sum(getattr(DailySales, s)) for s in SALES_SUMS))
        .where(*sales_where(filters, start, end))
        .group_by(*keys)
    ).all()
    n = len(keys)
    return {
        tuple(r[:n]): {s: int(v or 0) for s, v in zip(SALES_SUMS, r[n:], strict=True)} for r in rows
    }


def by_month(column):
    return sql.month_of_date(column)


def points_by(
    filters: Filters, start: date, end: date, *keys, kinds=None, purchases_only=False
) -> dict:
    """key tuple (kind is always the last key) -> (points in, points out)."""
    where = [DailyPoints.day >= start, DailyPoints.day <= end]
    if kinds:
        where.append(DailyPoints.kind.in_(kinds))
    if purchases_only:
        where.append(DailyPoints.source == "purchase")
    if filters.by_place:
        where.append(DailyPoints.store_id.in_(filters.store_ids))
    if filters.channel:
        where.append(DailyPoints.channel == filters.channel)
    rows = db.session.execute(
        select(
            *keys,
            DailyPoints.kind,
            func.sum(DailyPoints.points_in),
            func.sum(DailyPoints.points_out),
        )
        .where(*where)
        .group_by(*keys, DailyPoints.kind)
    ).all()
    n = len(keys) + 1
    return {tuple(r[:n]): (int(r[n] or 0), int(r[n + 1] or 0)) for r in rows}


def counts_by(filters: Filters, start: date, end: date, *keys, metrics=None) -> dict:
    """key tuple (metric is always the last key) -> value."""
    where = [DailyCount.day >= start, DailyCount.day <= end]
    if metrics:
        where.append(DailyCount.metric.in_(metrics))
    if filters.by_place:
        where.append(DailyCount.home_store_id.in_(filters.store_ids))
    rows = db.session.execute(
        select(*keys, DailyCount.metric, func.sum(DailyCount.value))
        .where(*where)
        .group_by(*keys, DailyCount.metric)
    ).all()
    n = len(keys) + 1
    return {tuple(r[:n]): int(r[n] or 0) for r in rows}


def spent(points: dict, key: tuple = ()) -> int:
    """Points redeemed, net of those given back."""
    redeemed = points.get((*key, "redeem"), (0, 0))
    returned = points.get((*key, "refund"), (0, 0))
    return max(redeemed[1] - redeemed[0] - returned[0], 0)


def earned(points: dict, key: tuple = ()) -> int:
    return sum(points.get((*key, kind), (0, 0))[0] for kind in EARN_KINDS)
