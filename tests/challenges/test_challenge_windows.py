from datetime import UTC, date, datetime, timedelta

import pytest

from challenges.rules.windows import (
    PeriodUnit,
    Window,
    WindowKind,
    period_index,
    period_key,
    window_key,
    window_span,
)

WEEKLY = Window(WindowKind.WEEKLY)
MONTHLY = Window(WindowKind.MONTHLY)
# Sunday 29 November 2026, 22:30 UTC: already Monday 30 November in Helsinki (UTC+2).
SUNDAY_NIGHT_UTC = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)


def test_weekly_key_follows_the_members_timezone():
    assert window_key(WEEKLY, SUNDAY_NIGHT_UTC, "UTC") == "2026-W48"
    assert window_key(WEEKLY, SUNDAY_NIGHT_UTC, "Europe/Helsinki") == "2026-W49"
    assert window_key(WEEKLY, SUNDAY_NIGHT_UTC, "America/New_York") == "2026-W48"


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2025, 12, 29), "2026-W01"),  # the ISO year starts on the Monday before 1 January
        (date(2027, 1, 1), "2026-W53"),  # 2026 has 53 ISO weeks
        (date(2027, 1, 4), "2027-W01"),
    ],
)
def test_weekly_key_uses_the_iso_week_year(day, key):
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    assert window_key(WEEKLY, at, "UTC") == key


def test_monthly_key_follows_the_members_timezone():
    last_evening = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert window_key(MONTHLY, last_evening, "Europe/Helsinki") == "2026-12"
    assert window_key(MONTHLY, last_evening, "America/New_York") == "2026-11"
    assert window_key(MONTHLY, last_evening, "Asia/Manila") == "2026-12"


def test_fixed_window_is_inclusive_local_dates():
    window = Window(WindowKind.FIXED, date(2026, 11, 1), date(2026, 11, 30))
    key = "2026-11-01/2026-11-30"
    assert window_key(window, SUNDAY_NIGHT_UTC, "UTC") == key
    # Still 30 November in New York, already 1 December in Helsinki.
    late = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert window_key(window, late, "America/New_York") == key
    assert window_key(window, late, "Europe/Helsinki") is None
    assert window_key(window, datetime(2026, 10, 31, 23, 30, tzinfo=UTC), "UTC") is None
    assert window_key(window, datetime(2026, 10, 31, 23, 30, tzinfo=UTC), "Europe/Helsinki") == key


def test_recurring_window_is_bounded_by_the_challenge_dates():
    window = Window(WindowKind.WEEKLY, starts_on=date(2026, 11, 4), ends_on=date(2026, 11, 20))
    assert window_key(window, datetime(2026, 11, 3, 12, tzinfo=UTC), "UTC") is None
    assert window_key(window, datetime(2026, 11, 4, 12, tzinfo=UTC), "UTC") == "2026-W45"
    assert window_key(window, datetime(2026, 11, 21, 12, tzinfo=UTC), "UTC") is None
    span = window_span(window, datetime(2026, 11, 4, 12, tzinfo=UTC), "UTC")
    assert span is not None
    assert span.starts_at == datetime(2026, 11, 4, tzinfo=UTC)  # not Monday 2 November
    assert span.ends_at == datetime(2026, 11, 9, tzinfo=UTC)


def test_week_span_across_a_dst_change_is_local_midnight_to_midnight():
    # Helsinki moves from UTC+2 to UTC+3 on Sunday 29 March 2026.
    span = window_span(WEEKLY, datetime(2026, 3, 25, 12, tzinfo=UTC), "Europe/Helsinki")
    assert span is not None
    assert span.key == "2026-W13"
    assert span.starts_at == datetime(2026, 3, 22, 22, 0, tzinfo=UTC)
    assert span.ends_at == datetime(2026, 3, 29, 21, 0, tzinfo=UTC)
    assert span.ends_at - span.starts_at == timedelta(hours=167)


def test_month_span_and_fixed_span():
    span = window_span(MONTHLY, datetime(2026, 2, 10, tzinfo=UTC), "Asia/Manila")
    assert span is not None
    assert (span.starts_at, span.ends_at) == (
        datetime(2026, 1, 31, 16, tzinfo=UTC),
        datetime(2026, 2, 28, 16, tzinfo=UTC),
    )
    fixed = Window(WindowKind.FIXED, date(2026, 11, 1), date(2026, 11, 30))
    span = window_span(fixed, SUNDAY_NIGHT_UTC, "UTC")
    assert span is not None
    assert (span.starts_at, span.ends_at) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_periods_are_consecutive_integers_in_local_time():
    days = [datetime(2026, 12, 30, 12, tzinfo=UTC) + timedelta(days=i) for i in range(4)]
    indexes = [period_index(d, "UTC", PeriodUnit.DAY) for d in days]
    assert indexes == list(range(indexes[0], indexes[0] + 4))
    assert [period_key(i, PeriodUnit.DAY) for i in indexes] == [
        "2026-12-30",
        "2026-12-31",
        "2027-01-01",
        "2027-01-02",
    ]
    sunday = period_index(SUNDAY_NIGHT_UTC, "UTC", PeriodUnit.WEEK)
    monday_helsinki = period_index(SUNDAY_NIGHT_UTC, "Europe/Helsinki", PeriodUnit.WEEK)
    assert monday_helsinki == sunday + 1
    assert period_key(sunday, PeriodUnit.WEEK) == "2026-W48"
    assert period_key(monday_helsinki, PeriodUnit.WEEK) == "2026-W49"


def test_naive_times_and_bad_windows_are_refused():
    with pytest.raises(ValueError):
        window_key(WEEKLY, datetime(2026, 11, 1, 12), "UTC")
    with pytest.raises(ValueError):
        Window(WindowKind.FIXED, date(2026, 11, 1))
    with pytest.raises(ValueError):
        Window(WindowKind.MONTHLY, date(2026, 11, 2), date(2026, 11, 1))
