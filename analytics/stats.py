"""Welch's two-sample comparison of means: the difference and its confidence interval. Pure
math on the groups' sizes, means and variances; Student's t quantile from SciPy."""

from __future__ import annotations

import math
from dataclasses import dataclass

SIGNIFICANT = "significant"
NOT_SIGNIFICANT = "not significant"
INSUFFICIENT = "insufficient data"


@dataclass(frozen=True)
class Sample:
    """A group's size, mean and (unbiased, n - 1) variance."""

    n: int
    mean: float
    variance: float

    @classmethod
    def from_sums(cls, n: int, total: float, squares: float) -> Sample:
        """From the sum and the sum of squares of the values (what SQL can give)."""
        if n == 0:
            return cls(0, 0.0, 0.0)
        mean = total / n
        variance = (squares - total * total / n) / (n - 1) if n > 1 else 0.0
        return cls(n, mean, max(variance, 0.0))


@dataclass(frozen=True)
class Comparison:
    difference: float
    low: float | None
    high: float | None
    degrees_of_freedom: float | None
    verdict: str


def welch(treated: Sample, control: Sample, level: float = 0.95) -> Comparison:
    """treated.mean - control.mean with Welch's interval: t at Welch-Satterthwaite's degrees
    of freedom times the standard error sqrt(s1²/n1 + s2²/n2). "not significant" when the
    interval spans 0; "insufficient data" with fewer than two members in a group."""
    from scipy.stats import t

    difference = treated.mean - control.mean
    if treated.n < 2 or control.n < 2:
        return Comparison(difference, None, None, None, INSUFFICIENT)
    a, b = treated.variance / treated.n, control.variance / control.n
    se = math.sqrt(a + b)
    if se == 0:
        # No spread at all: the difference is exact.
        verdict = NOT_SIGNIFICANT if difference == 0 else SIGNIFICANT
        return Comparison(difference, difference, difference, None, verdict)
    df = (a + b) ** 2 / (a * a / (treated.n - 1) + b * b / (control.n - 1))
    margin = float(t.ppf(0.5 + level / 2, df)) * se
    low, high = difference - margin, difference + margin
    verdict = NOT_SIGNIFICANT if low <= 0 <= high else SIGNIFICANT
    return Comparison(difference, low, high, df, verdict)
