"""Challenge windows and streak periods, computed in the member's own timezone.

A purchase at 23:30 UTC on a Sunday is Monday morning in Helsinki: it belongs to the member's new
week. Storage and events stay in UTC; only these keys are local.

Window keys: fixed windows "2026-11-01/2026-11-30" (ISO 8601 interval of local dates, both
inclusive), weekly "2026-W48" (ISO week-numbering year, so 2025-12-29 is "2026-W01"), monthly
"2026-11".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo


class WindowKind(StrEnum):
    FIXED = "fixed"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class PeriodUnit(StrEnum):
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class Window:
    """When a challenge counts. `starts_on`/`ends_on` are local dates, both inclusive: required
    for a fixed window; for a recurring one they bound the whole run (None = open)."""

    kind: WindowKind
    starts_on: date | None = None
    ends_on: date | None = None

    def __post_init__(self) -> None:
        if self.kind is WindowKind.FIXED and (self.starts_on is None or self.ends_on is None):
            raise ValueError("a fixed window needs both dates")
        if self.starts_on and self.ends_on and self.starts_on > self.ends_on:
            raise ValueError("window ends before it starts")


@dataclass(frozen=True)
class WindowSpan:
    key: str
    starts_at: datetime  # UTC, inclusive
    ends_at: datetime  # UTC, exclusive


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    # ZoneInfo has its own cache, but the lookup by name is the hot path of event processing.
    return ZoneInfo(name)


def local_date(at: datetime, tz: str) -> date:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("event times must be timezone-aware")
    return at.astimezone(zone(tz)).date()


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def window_key(window: Window, at: datetime, tz: str) -> str | None:
    """The key of the window that `at` falls in for a member in `tz`, or None if outside."""
    day = local_date(at, tz)
    if (window.starts_on and day < window.starts_on) or (window.ends_on and day > window.ends_on):
        return None
    if window.kind is WindowKind.WEEKLY:
        return week_key(day)
    if window.kind is WindowKind.MONTHLY:
        return month_key(day)
    return f"{window.starts_on.isoformat()}/{window.ends_on.isoformat()}"  # type: ignore[union-attr]


def window_span(window: Window, at: datetime, tz: str) -> WindowSpan | None:
    """The window around `at` with its UTC bounds (what `GET /challenges` shows), or None."""
    key = window_key(window, at, tz)
    if key is None:
        return None
    day = local_date(at, tz)
    if window.kind is WindowKind.WEEKLY:
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
    elif window.kind is WindowKind.MONTHLY:
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
    else:
        first, after = window.starts_on, window.ends_on + timedelta(days=1)  # type: ignore[operator]
    # A recurring window is clipped to the challenge's own dates.
    if window.starts_on and first < window.starts_on:
        first = window.starts_on
    if window.ends_on and after > window.ends_on + timedelta(days=1):
        after = window.ends_on + timedelta(days=1)
    return WindowSpan(key, local_midnight_utc(first, tz), local_midnight_utc(after, tz))


def local_midnight_utc(day: date, tz: str) -> datetime:
    """The UTC instant the member's `day` begins. Where a DST jump skips midnight (a few zones
    switch at 00:00), zoneinfo resolves the missing time with the offset before the jump."""
    return datetime.combine(day, time(0), zone(tz)).astimezone(ZoneInfo("UTC"))


def period_index(at: datetime, tz: str, unit: PeriodUnit) -> int:
    """A number that grows by one per local day (or week), so streaks are runs of integers."""
    ordinal = local_date(at, tz).toordinal()
    if unit is PeriodUnit.DAY:
        return ordinal
    # Ordinal 1 (0001-01-01) is a Monday, so this counts ISO weeks.
    return (ordinal - 1) // 7


def period_key(index: int, unit: PeriodUnit) -> str:
    if unit is PeriodUnit.DAY:
        return date.fromordinal(index).isoformat()
    return week_key(date.fromordinal(index * 7 + 1))
