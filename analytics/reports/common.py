"""What the reports share: the program's valuation, money and ratios, months, and the
watermark the figures are summed through."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from analytics.aggregates.job import watermark
from app.program.service import get_program

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


def cost_per_point() -> Decimal:
    return Decimal(get_program().cost_per_point)


def value_of(points: int | None, cpp: Decimal) -> Decimal | None:
    """Points at the program's cost per point, in its currency."""
    if points is None:
        return None
    return (Decimal(points) * cpp).quantize(CENT, ROUND_HALF_UP)


def money(minor: int | None) -> Decimal | None:
    return None if minor is None else (Decimal(minor) / 100).quantize(CENT)


def ratio(part: Any, whole: Any) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, ROUND_HALF_UP)


def summed_through() -> date | None:
    return watermark()


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """First days of the months from `first`'s to `last`'s, inclusive."""
    out, month = [], month_start(first)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def months_apart(later: date, earlier: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def default_period(
    start: date | None, end: date | None, days: int | None = None, months: int | None = None
) -> tuple[date, date]:
    """The period asked for, or one ending on the last summed day: `days` long, or the
    `months` whole months up to it."""
    last = end or summed_through() or date.today() - timedelta(days=1)
    if start is not None:
        return start, max(start, last) if end is None else last
    if months is not None:
        return add_months(month_start(last), -(months - 1)), last
    return last - timedelta(days=(days or 30) - 1), last
