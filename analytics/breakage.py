"""Estimated breakage: the share of outstanding points expected never to be redeemed, from
each join-month cohort's own history. Pure; the figures come from the daily aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

METHOD = (
    "Per join-month cohort: breakage rate = points expired / (points redeemed + points "
    "expired), over the cohort's whole history (redeemed net of points given back; reversals "
    "of refunded purchases, adjustments and erasures are neither). A cohort with fewer than "
    "{min_points} points redeemed or expired takes the pooled rate of all cohorts. Expected "
    "breakage = each cohort's outstanding points (available + pending) x its rate; the "
    "program's rate is their sum over all outstanding points."
)

COHORT = "cohort"
POOLED = "pooled"
NONE = "none"


@dataclass(frozen=True)
class CohortHistory:
    join_month: date
    outstanding: int
    redeemed: int
    expired: int


@dataclass(frozen=True)
class CohortBreakage:
    join_month: date
    outstanding: int
    redeemed: int
    expired: int
    rate: Decimal | None
    rate_source: str
    expected_points: int | None


@dataclass(frozen=True)
class Estimate:
    cohorts: list[CohortBreakage]
    outstanding: int
    expected_points: int | None
    rate: Decimal | None
    method: str


def _rate(expired: int, redeemed: int) -> Decimal:
    return (Decimal(expired) / Decimal(expired + redeemed)).quantize(Decimal("0.0001"))


def estimate(history: list[CohortHistory], min_points: int) -> Estimate:
    resolved = sum(c.redeemed + c.expired for c in history)
    pooled = (
        _rate(sum(c.expired for c in history), sum(c.redeemed for c in history))
        if resolved
        else None
    )
    cohorts = []
    for c in sorted(history, key=lambda c: c.join_month):
        if c.redeemed + c.expired >= max(min_points, 1):
            rate, source = _rate(c.expired, c.redeemed), COHORT
        elif pooled is not None:
            rate, source = pooled, POOLED
        else:
            rate, source = None, NONE
        expected = None
        if rate is not None:
            expected = int((c.outstanding * rate).to_integral_value(ROUND_HALF_UP))
        cohorts.append(
            CohortBreakage(
                c.join_month, c.outstanding, c.redeemed, c.expired, rate, source, expected
            )
        )
    outstanding = sum(c.outstanding for c in history)
    known = [c.expected_points for c in cohorts if c.expected_points is not None]
    expected_total = sum(known) if cohorts and len(known) == len(cohorts) else None
    if not cohorts:
        expected_total = 0
    rate = None
    if expected_total is not None and outstanding:
        rate = (Decimal(expected_total) / Decimal(outstanding)).quantize(Decimal("0.0001"))
    return Estimate(
        cohorts, outstanding, expected_total, rate, METHOD.format(min_points=min_points)
    )
