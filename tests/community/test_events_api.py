"""Events over HTTP: seats then a waitlist, early access by tier, paid seats through the
ledger, cancelling promotes the next in line with a push, tickets checked in once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.extensions import db
from app.ledger.models import LedgerEntry
from tests.community.helpers import (
    admin_post,
    balance,
    event_body,
    iso,
    ledger_problems,
    member,
    push_deliveries,
)
from tests.notifications.helpers import member_with_device
from tests.support import bearer


def _book(client, handle, event, key=None):
    return client.post(
        f"/api/v1/events/{event['id']}/rsvp",
        headers=handle.headers | {"Idempotency-Key": key or uuid.uuid4().hex},
    )


def _cancel(client, handle, event):
    return client.delete(f"/api/v1/events/{event['id']}/rsvp", headers=handle.headers)


def test_seats_then_a_waitlist_in_order(app, client, program):
    event = admin_post(client, program, "/api/v1/admin/events", event_body(capacity=2))
    people = [member(app, client) for _ in range(4)]
    answers = [_book(client, p, event).get_json() for p in people]
    assert [a["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [a["waitlist_position"] for a in answers] == [None, None, 1, 2]
    assert all(a["code"] for a in answers[:2]) and not any(a["code"] for a in answers[2:])
    again = _book(client, people[0], event)
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "already_booked")
    listed = client.get("/api/v1/events", headers=people[3].headers).get_json()
    (seen,) = listed
    assert (seen["seats_left"], seen["my_rsvp"]["waitlist_position"]) == (0, 2)
    assert seen["can_book_now"] is False
    assert ledger_problems(app) == []


def test_a_retried_booking_is_answered_as_the_first(app, client, program):
    event = admin_post(client, program, "/api/v1/admin/events", event_body(capacity=1))
    aino = member(app, client)
    first = _book(client, aino, event, key="rsvp-1")
    replay = _book(client, aino, event, key="rsvp-1")
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.get_json() == first.get_json()
    res = client.post(f"/api/v1/events/{event['id']}/rsvp", headers=aino.headers)
    assert (res.status_code, res.get_json()["error"]["code"]) == (400, "idempotency_key_required")


def test_early_access_by_tier(app, client, program):
    body = event_body(
        opens_at=iso(timedelta(days=4)),
        early_access=[
            {"tier": "platinum", "opens_at": iso(-timedelta(hours=1))},
            {"tier": "gold", "opens_at": iso(timedelta(days=2))},
        ],
    )
    event = admin_post(client, program, "/api/v1/admin/events", body)
    platinum = member(app, client, "platinum")
    gold = member(app, client, "gold")
    silver = member(app, client, "silver")
    assert _book(client, platinum, event).status_code == 201
    for handle, opens in ((gold, body["early_access"][1]["opens_at"]), (silver, body["opens_at"])):
        res = _book(client, handle, event)
        assert res.status_code == 409
        error = res.get_json()["error"]
        assert error["code"] == "booking_not_open"
        assert error["details"]["opens_at"][:16] == opens[:16]
    (view,) = client.get("/api/v1/events", headers=gold.headers).get_json()
    assert (view["early_access"], view["can_book_now"]) == (True, False)
    (view,) = client.get("/api/v1/events", headers=silver.headers).get_json()
    assert view["early_access"] is False
    assert view["booking_opens_at"][:16] == body["opens_at"][:16]


def test_a_higher_tier_shares_a_lower_tiers_window(app, client, program):
    body = event_body(
        opens_at=iso(timedelta(days=4)),
        early_access=[{"tier": "gold", "opens_at": iso(-timedelta(hours=1))}],
    )
    event = admin_post(client, program, "/api/v1/admin/events", body)
    assert _book(client, member(app, client, "platinum"), event).status_code == 201
    assert _book(client, member(app, client, "gold"), event).status_code == 201
    assert _book(client, member(app, client, "silver"), event).status_code == 409


def test_cancelling_promotes_the_first_in_line_with_a_push(app, client, program):
    event = admin_post(client, program, "/api/v1/admin/events", event_body(capacity=1))
    first = member(app, client)
    second, _ = member_with_device(client, language="pl")
    third = member(app, client)
    for handle in (first, second, third):
        assert _book(client, handle, event).status_code == 201
    res = _cancel(client, first, event)
    assert res.status_code == 200 and res.get_json()["status"] == "cancelled"
    (view,) = client.get("/api/v1/events", headers=second.headers).get_json()
    assert view["my_rsvp"]["status"] == "confirmed" and view["my_rsvp"]["code"]
    (view,) = client.get("/api/v1/events", headers=third.headers).get_json()
    assert view["my_rsvp"]["waitlist_position"] == 1
    (push,) = push_deliveries(app, "event_waitlist")
    assert push[1] == "Masz miejsce!"
    assert "Latte art" in push[2]
    again = _cancel(client, first, event)
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "rsvp_not_active")
    # Cancelling a waitlisted place frees no seat: nobody else moves.
    assert _cancel(client, third, event).status_code == 200
    assert len(push_deliveries(app, "event_waitlist")) == 1
    # Booking again goes to the end of the line.
    back = _book(client, first, event).get_json()
    assert (back["status"], back["waitlist_position"]) == ("waitlisted", 1)
    assert ledger_problems(app) == []


def test_paid_seats_are_spent_and_refunded_through_the_ledger(app, client, program):
    event = admin_post(
        client, program, "/api/v1/admin/events", event_body(capacity=1, price_points=100)
    )
    rich, waiting, poor = (
        member(app, client, points=150),
        member(app, client, points=100),
        member(app, client, points=50),
    )
    assert _book(client, rich, event).get_json()["points_paid"] == 100
    assert _book(client, waiting, event).get_json()["status"] == "waitlisted"
    res = _book(client, poor, event)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "insufficient_points")
    assert (balance(app, rich.id), balance(app, waiting.id), balance(app, poor.id)) == (50, 0, 50)
    assert ledger_problems(app) == []
    assert _cancel(client, rich, event).status_code == 200
    assert balance(app, rich.id) == 150
    with app.app_context():
        kinds = [
            (e.kind, e.available_delta)
            for e in db.session.query(LedgerEntry)
            .filter_by(reference_type="event_rsvp")
            .order_by(LedgerEntry.id)
        ]
    assert kinds == [("redeem", -100), ("redeem", -100), ("refund", 100)]
    # The promoted member's points were held while waiting: nothing more is taken.
    assert balance(app, waiting.id) == 0
    assert ledger_problems(app) == []


def test_places_still_waiting_at_the_start_lapse_and_are_refunded(app, client, program):
    from app.models_base import utcnow
    from community.events.service import settle_started

    event = admin_post(
        client, program, "/api/v1/admin/events", event_body(capacity=1, price_points=10)
    )
    seated, waiting = member(app, client, points=10), member(app, client, points=10)
    assert _book(client, seated, event).status_code == 201
    assert _book(client, waiting, event).status_code == 201
    with app.app_context():
        assert settle_started(utcnow()) == 0  # not started yet
        assert settle_started(utcnow() + timedelta(days=11)) == 1
        assert settle_started(utcnow() + timedelta(days=11)) == 0
    assert (balance(app, seated.id), balance(app, waiting.id)) == (0, 10)
    assert ledger_problems(app) == []


def test_a_ticket_checks_in_once(app, client, program):
    event = admin_post(
        client, program, "/api/v1/admin/events", event_body(store_id=program.store_id)
    )
    aino = member(app, client)
    code = _book(client, aino, event).get_json()["code"]
    staff = bearer(program.staff_token)
    res = client.post(f"/api/v1/event-tickets/{code}/check-in", headers=staff)
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["event_id"] == event["id"]
    res = client.post(f"/api/v1/event-tickets/{code}/check-in", headers=staff)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "ticket_already_checked_in")
    res = client.post("/api/v1/event-tickets/NOPE/check-in", headers=staff)
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "ticket_not_found")
    res = client.post(f"/api/v1/event-tickets/{code}/check-in", headers=aino.headers)
    assert res.status_code == 403


def test_a_ticket_for_another_stores_event_is_refused(app, client, program):
    event = admin_post(
        client, program, "/api/v1/admin/events", event_body(store_id=program.other_store_id)
    )
    code = _book(client, member(app, client), event).get_json()["code"]
    res = client.post(f"/api/v1/event-tickets/{code}/check-in", headers=bearer(program.staff_token))
    assert res.status_code == 403


def test_admin_input_is_checked(app, client, program):
    headers = bearer(program.admin_token)
    for bad in (
        event_body(opens_at=iso(timedelta(days=20))),  # opens after it starts
        event_body(early_access=[{"tier": "diamond", "opens_at": iso(timedelta(days=1))}]),
        event_body(capacity=0),
        event_body(store_id="sto_nope"),
    ):
        res = client.post("/api/v1/admin/events", json=bad, headers=headers)
        assert res.status_code == 422, res.get_json()
    event = admin_post(client, program, "/api/v1/admin/events", event_body(capacity=2))
    for _ in range(2):
        assert _book(client, member(app, client), event).status_code == 201
    res = client.patch(f"/api/v1/admin/events/{event['id']}", json={"capacity": 1}, headers=headers)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "capacity_below_bookings")


def test_started_events_take_no_bookings(app, client, program):
    from app.models_base import utcnow
    from community.events.models import Event

    event = admin_post(client, program, "/api/v1/admin/events", event_body())
    with app.app_context():
        row = db.session.query(Event).filter_by(public_id=event["id"]).one()
        row.opens_at = utcnow() - timedelta(days=2)
        row.starts_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    res = _book(client, member(app, client), event)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "event_started")


def test_an_event_called_off_refunds_its_paid_places(app, client, program):
    event = admin_post(
        client, program, "/api/v1/admin/events", event_body(capacity=1, price_points=20)
    )
    seated, waiting = member(app, client, points=20), member(app, client, points=20)
    assert _book(client, seated, event).status_code == 201
    assert _book(client, waiting, event).status_code == 201
    res = client.patch(
        f"/api/v1/admin/events/{event['id']}",
        json={"active": False},
        headers=bearer(program.admin_token),
    )
    assert res.status_code == 200 and res.get_json()["confirmed_count"] == 0
    assert (balance(app, seated.id), balance(app, waiting.id)) == (20, 20)
    res = _book(client, member(app, client), event)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "event_cancelled")
    assert ledger_problems(app) == []
