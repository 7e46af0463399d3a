"""When a marketing push may go out: each member's quiet hours and a daily cap.

All instants in and out are timezone-aware UTC; the member's timezone is used only to read the
clock the way the member does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A nightly window of local time with no marketing pushes; may wrap past midnight.

    ``start == end`` means no quiet hours.
    """

    start: dt.time = dt.time(21, 0)
    end: dt.time = dt.time(8, 0)

    def contains(self, local: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def member_zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The member's zone, or ``default`` when the stored name is empty or unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo(default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def _check_utc(now: dt.datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


def _at_local(day: dt.date, clock: dt.time, zone: ZoneInfo) -> dt.datetime:
    # A wall time skipped by a DST change (e.g. 03:30 on spring-forward night) resolves to the
    # same distance past the change, which is what the member's clock shows then.
    return dt.datetime.combine(day, clock, tzinfo=zone).astimezone(dt.UTC)


def quiet_hours_end(now: dt.datetime, zone: ZoneInfo, quiet: QuietHours) -> dt.datetime:
    """``now`` if it is outside the member's quiet hours, else the moment they end (UTC)."""
    _check_utc(now)
    local = now.astimezone(zone)
    if not quiet.contains(local.time()):
        return now
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += dt.timedelta(days=1)  # started this evening, ends tomorrow morning
    return _at_local(day, quiet.end, zone)


def local_day_bounds(now: dt.datetime, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The member's current calendar day as a half-open UTC range, for counting today's sends."""
    _check_utc(now)
    day = now.astimezone(zone).date()
    return (
        _at_local(day, dt.time(0), zone),
        _at_local(day + dt.timedelta(days=1), dt.time(0), zone),
    )


def next_send_at(
    now: dt.datetime,
    zone: ZoneInfo,
    *,
    quiet: QuietHours,
    sent_today: int,
    daily_cap: int | None,
) -> dt.datetime:
    """The earliest moment (UTC, ``now`` when it is allowed at once) a marketing push may go.

    ``sent_today`` is the member's marketing pushes sent within ``local_day_bounds(now, zone)``.
    A member at the cap waits for their next local day, and then for the end of quiet hours.
    """
    if daily_cap is not None and daily_cap < 1:
        raise ValueError("daily_cap must be at least 1 (None for no cap)")
    if daily_cap is not None and sent_today >= daily_cap:
        _, tomorrow = local_day_bounds(now, zone)
        return quiet_hours_end(tomorrow, zone, quiet)
    return quiet_hours_end(now, zone, quiet)


def plan_send_at(
    now: dt.datetime,
    zone: ZoneInfo,
    *,
    quiet: QuietHours,
    daily_cap: int | None,
    booked: Iterable[dt.datetime],
    max_days: int = 31,
) -> dt.datetime:
    """The earliest moment a marketing push may go, given the member's ``booked`` campaign
    pushes (sent, or already planned for later): outside quiet hours, on a local day that is
    still under the cap."""
    if daily_cap is not None and daily_cap < 1:
        raise ValueError("daily_cap must be at least 1 (None for no cap)")
    times = sorted(booked)
    candidate = quiet_hours_end(now, zone, quiet)
    for _ in range(max_days):
        start, end = local_day_bounds(candidate, zone)
        if daily_cap is None or sum(1 for t in times if start <= t < end) < daily_cap:
            return candidate
        candidate = quiet_hours_end(end, zone, quiet)
    return candidate
