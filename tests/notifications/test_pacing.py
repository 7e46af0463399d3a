"""Quiet hours in the member's own timezone, and the daily cap."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from notifications.pacing import (
    QuietHours,
    local_day_bounds,
    member_zone,
    next_send_at,
    quiet_hours_end,
)

HELSINKI = ZoneInfo("Europe/Helsinki")  # UTC+2, +3 in summer
MANILA = ZoneInfo("Asia/Manila")  # UTC+8, no DST
NIGHT = QuietHours(dt.time(21), dt.time(8))


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2025, 6, 10, 9, 0), utc(2025, 6, 10, 9, 0)),  # 12:00 in Helsinki: send now
        (utc(2025, 6, 10, 17, 59), utc(2025, 6, 10, 17, 59)),  # 20:59: still allowed
        (utc(2025, 6, 10, 18, 0), utc(2025, 6, 11, 5, 0)),  # 21:00: wait for 08:00 tomorrow
        (utc(2025, 6, 10, 22, 30), utc(2025, 6, 11, 5, 0)),  # 01:30 local, next day already
        (utc(2025, 6, 11, 4, 59), utc(2025, 6, 11, 5, 0)),  # 07:59
        (utc(2025, 6, 11, 5, 0), utc(2025, 6, 11, 5, 0)),  # 08:00 sharp: allowed
    ],
)
def test_quiet_hours_in_helsinki(now: dt.datetime, expected: dt.datetime) -> None:
    assert quiet_hours_end(now, HELSINKI, NIGHT) == expected


def test_same_instant_differs_by_member_timezone() -> None:
    now = utc(2025, 6, 10, 12, 0)  # 15:00 in Helsinki, 20:00 in Manila
    assert quiet_hours_end(now, HELSINKI, NIGHT) == now
    assert quiet_hours_end(now, MANILA, NIGHT) == now
    later = utc(2025, 6, 10, 13, 30)  # 16:30 Helsinki, 21:30 Manila
    assert quiet_hours_end(later, HELSINKI, NIGHT) == later
    assert quiet_hours_end(later, MANILA, NIGHT) == utc(2025, 6, 11, 0, 0)  # 08:00 Manila


def test_quiet_night_across_the_spring_dst_change() -> None:
    # Helsinki moves from UTC+2 to UTC+3 at 03:00 on 30 March 2025: 08:00 that morning is
    # 05:00 UTC, not 06:00.
    assert quiet_hours_end(utc(2025, 3, 29, 20, 0), HELSINKI, NIGHT) == utc(2025, 3, 30, 5, 0)


def test_quiet_window_within_one_day_and_none() -> None:
    siesta = QuietHours(dt.time(13), dt.time(15))
    assert quiet_hours_end(utc(2025, 6, 10, 11, 0), HELSINKI, siesta) == utc(2025, 6, 10, 12, 0)
    assert quiet_hours_end(utc(2025, 6, 10, 9, 0), HELSINKI, siesta) == utc(2025, 6, 10, 9, 0)
    never = QuietHours(dt.time(0), dt.time(0))
    assert quiet_hours_end(utc(2025, 6, 10, 0, 30), HELSINKI, never) == utc(2025, 6, 10, 0, 30)


def test_local_day_bounds_follow_the_member_calendar() -> None:
    start, end = local_day_bounds(utc(2025, 6, 10, 22, 30), HELSINKI)  # 01:30 on 11 June there
    assert (start, end) == (utc(2025, 6, 10, 21, 0), utc(2025, 6, 11, 21, 0))
    start, end = local_day_bounds(utc(2025, 3, 29, 12, 0), HELSINKI)
    assert end - start == dt.timedelta(hours=24)
    start, end = local_day_bounds(utc(2025, 3, 30, 12, 0), HELSINKI)  # the DST change day
    assert end - start == dt.timedelta(hours=23)


def test_daily_cap() -> None:
    now = utc(2025, 6, 10, 9, 0)  # 12:00 in Helsinki
    assert next_send_at(now, HELSINKI, quiet=NIGHT, sent_today=1, daily_cap=2) == now
    assert next_send_at(now, HELSINKI, quiet=NIGHT, sent_today=5, daily_cap=None) == now
    # At the cap: tomorrow, and not at midnight but when quiet hours end.
    assert next_send_at(now, HELSINKI, quiet=NIGHT, sent_today=2, daily_cap=2) == utc(
        2025, 6, 11, 5, 0
    )
    with pytest.raises(ValueError, match="daily_cap"):
        next_send_at(now, HELSINKI, quiet=NIGHT, sent_today=0, daily_cap=0)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        quiet_hours_end(dt.datetime(2025, 6, 10, 9, 0), HELSINKI, NIGHT)


def test_member_zone_falls_back_for_unknown_names() -> None:
    assert member_zone("Europe/Warsaw") == ZoneInfo("Europe/Warsaw")
    assert member_zone("Mars/Olympus_Mons", default="Europe/Helsinki") == HELSINKI
    assert member_zone(None) == ZoneInfo("UTC")
    assert member_zone("../etc/passwd") == ZoneInfo("UTC")


def test_plan_send_at_skips_quiet_hours_and_full_days() -> None:
    from notifications.pacing import plan_send_at

    zone = ZoneInfo("Europe/Helsinki")  # UTC+2 in winter
    quiet = QuietHours(dt.time(21), dt.time(8))
    noon = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.UTC)  # 12:00 local
    assert plan_send_at(noon, zone, quiet=quiet, daily_cap=2, booked=[]) == noon
    # One push already today: still under a cap of two.
    assert plan_send_at(noon, zone, quiet=quiet, daily_cap=2, booked=[noon]) == noon
    # Two today: tomorrow, when the quiet hours end (08:00 local = 06:00 UTC).
    tomorrow_8 = dt.datetime(2025, 1, 16, 6, 0, tzinfo=dt.UTC)
    assert plan_send_at(noon, zone, quiet=quiet, daily_cap=2, booked=[noon, noon]) == tomorrow_8
    # Tomorrow is full too (already planned pushes count): the day after.
    booked = [noon, noon, tomorrow_8, tomorrow_8]
    assert plan_send_at(noon, zone, quiet=quiet, daily_cap=2, booked=booked) == (
        tomorrow_8 + dt.timedelta(days=1)
    )
    # Yesterday's pushes do not count today.
    yesterday = noon - dt.timedelta(days=1)
    assert plan_send_at(noon, zone, quiet=quiet, daily_cap=1, booked=[yesterday]) == noon
    # No cap: only the quiet hours hold it.
    late = dt.datetime(2025, 1, 15, 20, 0, tzinfo=dt.UTC)  # 22:00 local
    assert plan_send_at(late, zone, quiet=quiet, daily_cap=None, booked=[noon] * 9) == tomorrow_8
