"""Net Promoter Score: 9-10 promote, 7-8 are passive, 0-6 detract; the score is the share of
promoters less the share of detractors, in whole percent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def classify(score: int) -> str:
    if not 0 <= score <= 10:
        raise ValueError("an NPS answer is 0 to 10")
    if score >= PROMOTER_MIN:
        return "promoter"
    if score <= DETRACTOR_MAX:
        return "detractor"
    return "passive"


@dataclass(frozen=True)
class Nps:
    responses: int
    promoters: int
    passives: int
    detractors: int
    # None without answers: no score is not a score of 0.
    score: int | None


def nps(counts: Mapping[int, int]) -> Nps:
    """The NPS of a distribution {score: how many answered it}."""
    groups = {"promoter": 0, "passive": 0, "detractor": 0}
    for score, count in counts.items():
        groups[classify(score)] += count
    total = sum(groups.values())
    value = None
    if total:
        # Rounded half away from zero, as NPS is usually reported.
        exact = 100 * (groups["promoter"] - groups["detractor"]) / total
        value = int(exact + 0.5) if exact >= 0 else -int(-exact + 0.5)
    return Nps(total, groups["promoter"], groups["passive"], groups["detractor"], value)
