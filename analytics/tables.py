"""Every table of the analytics package in one import (metadata, migrations, the tests' schema)."""

from analytics.aggregates.models import (
    BalanceSnapshot,
    CohortMonth,
    CohortPoints,
    DailyCount,
    DailyPoints,
    DailySales,
    LiftResult,
    MemberMonth,
    MemberStats,
    TierMove,
    Watermark,
)

__all__ = [
    "BalanceSnapshot",
    "CohortMonth",
    "CohortPoints",
    "DailyCount",
    "DailyPoints",
    "DailySales",
    "LiftResult",
    "MemberMonth",
    "MemberStats",
    "TierMove",
    "Watermark",
]
