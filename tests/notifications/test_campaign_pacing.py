"""Campaigns respect each member's quiet hours (in their timezone) and a daily cap per member."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from tests.notifications.helpers import (
    deliveries,
    get_campaign,
    jobs,
    make_campaign,
    make_offer,
    member_with_device,
    run_due_jobs,
    send_campaign,
)
from tests.support import seed_program


def _quiet_in_utc_now() -> tuple[str, dt.datetime]:
    """Quiet hours that hold now for a member on UTC, ending in about two hours (whole minute)."""
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(hours=2)
    return f"{start:%H:%M}-{end:%H:%M}", end


def test_quiet_hours_hold_a_push_until_they_end_in_the_members_timezone(
    make_push_app, fake_fcm
) -> None:
    quiet, ends = _quiet_in_utc_now()
    app = make_push_app(PUSH_QUIET_HOURS=quiet)
    client = app.test_client()
    program = seed_program(app)
    asleep, asleep_phone = member_with_device(client, timezone="UTC")
    # Six hours ahead: the same quiet hours are long over (or not begun) there.
    awake, awake_phone = member_with_device(client, timezone="Asia/Dhaka")
    campaign = make_campaign(client, program)

    send_campaign(client, program, campaign["id"])

    assert [m["fid"] for m in fake_fcm.delivered] == [awake_phone["fid"]]
    held = next(d for d in deliveries(app) if d.status == "pending")
    assert held.scheduled_for == ends
    counts = get_campaign(client, program, campaign["id"])["counts"]
    assert (counts["sent"], counts["scheduled"]) == (1, 1)
    waiting = [j for j in jobs(app, "push.deliveries.send") if j.status == "pending"]
    assert [j.payload["ids"] for j in waiting] == [[held.id]]
    assert abs(waiting[0].available_at - ends) < dt.timedelta(seconds=1)

    run_due_jobs(app)  # the quiet hours are over

    assert [m["fid"] for m in fake_fcm.delivered] == [awake_phone["fid"], asleep_phone["fid"]]
    assert get_campaign(client, program, campaign["id"])["counts"]["sent"] == 2
    assert asleep and awake


def test_the_daily_cap_moves_a_members_extra_campaign_to_their_next_day(
    make_push_app, fake_fcm
) -> None:
    app = make_push_app(PUSH_DAILY_CAP="1")
    client = app.test_client()
    program = seed_program(app)
    member, phone = member_with_device(client, timezone="America/New_York")
    # A second phone of the same member: the cap counts pushes per member, not per device.
    client.post(
        "/api/v1/me/devices",
        json={"fid": "second-phone", "platform": "ios"},
        headers=member.headers,
    )
    first = make_campaign(client, program, name="First")
    second = make_campaign(client, program, name="Second")

    send_campaign(client, program, first["id"])
    send_campaign(client, program, second["id"])

    assert Counter(m["fid"] for m in fake_fcm.delivered) == {phone["fid"]: 1, "second-phone": 1}
    assert {m["data"]["campaign_id"] for m in fake_fcm.delivered} == {first["id"]}
    later = [d for d in deliveries(app) if d.status == "pending"]
    assert len(later) == 2
    zone = ZoneInfo("America/New_York")
    tomorrow = dt.datetime.now(zone).date() + dt.timedelta(days=1)
    assert {d.scheduled_for for d in later} == {
        dt.datetime.combine(tomorrow, dt.time(0), zone).astimezone(dt.UTC)
    }
    counts = get_campaign(client, program, second["id"])["counts"]
    assert (counts["sent"], counts["scheduled"], counts["members"]) == (0, 2, 1)

    run_due_jobs(app)  # the member's next day
    assert Counter(m["data"]["campaign_id"] for m in fake_fcm.delivered) == {
        first["id"]: 2,
        second["id"]: 2,
    }


def test_a_third_campaign_waits_past_a_day_already_full(make_push_app, fake_fcm) -> None:
    app = make_push_app(PUSH_DAILY_CAP="1")
    client = app.test_client()
    program = seed_program(app)
    member_with_device(client, timezone="UTC")
    for name in ("One", "Two", "Three"):
        send_campaign(client, program, make_campaign(client, program, name=name)["id"])
    today = dt.datetime.now(dt.UTC).date()
    planned = sorted(d.scheduled_for.date() for d in deliveries(app))
    assert planned == [today, today + dt.timedelta(days=1), today + dt.timedelta(days=2)]
    assert len(fake_fcm.delivered) == 1


def test_an_offer_push_held_past_the_offers_end_is_never_sent(make_push_app, fake_fcm) -> None:
    quiet, _ = _quiet_in_utc_now()
    app = make_push_app(PUSH_QUIET_HOURS=quiet)
    client = app.test_client()
    program = seed_program(app)
    member_with_device(client, timezone="UTC")
    offer = make_offer(client, program, ends_in=dt.timedelta(minutes=30))
    campaign = make_campaign(client, program, offer_id=offer["id"])
    send_campaign(client, program, campaign["id"])
    assert [d.status for d in deliveries(app)] == ["expired"]
    assert fake_fcm.delivered == []
    assert get_campaign(client, program, campaign["id"])["counts"]["expired"] == 1
