"""The community's exactly-once rules raced on PostgreSQL: real concurrent requests, each with
its own connection."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.models import LedgerEntry
from community.events.models import Event, Rsvp
from community.polls.models import PollVote
from community.surveys.models import SurveyResponse
from tests.community.helpers import (
    admin_post,
    answers,
    balance,
    event_body,
    ledger_problems,
    member,
    poll_body,
    push_jobs,
    survey_body,
)
from tests.support import seed_program

pytestmark = pytest.mark.postgres


def _race(n: int, fn) -> list:
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))


def test_fifty_members_booking_ten_seats(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    event = admin_post(
        client, program, "/api/v1/admin/events", event_body(capacity=10, price_points=5)
    )
    people = [member(pg_app, client, points=5) for _ in range(50)]

    def book(i: int):
        res = pg_app.test_client().post(
            f"/api/v1/events/{event['id']}/rsvp",
            headers=people[i].headers | {"Idempotency-Key": f"book-{i}"},
        )
        return res.status_code, res.get_json()

    results = _race(50, book)
    assert {status for status, _ in results} == {201}
    statuses = [body["status"] for _, body in results]
    assert statuses.count("confirmed") == 10 and statuses.count("waitlisted") == 40
    positions = sorted(
        body["waitlist_position"] for _, body in results if body["waitlist_position"]
    )
    assert positions == list(range(1, 41))
    with pg_app.app_context():
        rows = list(db.session.scalars(select(Rsvp).order_by(Rsvp.seq)))
        # In order: the ten seats went to the ten that arrived first, the line follows.
        assert [r.seq for r in rows] == list(range(1, 51))
        assert [r.status for r in rows] == ["confirmed"] * 10 + ["waitlisted"] * 40
        assert db.session.scalar(select(Event.confirmed_count)) == 10
        spent = db.session.scalar(
            select(func.sum(LedgerEntry.available_delta)).where(
                LedgerEntry.reference_type == "event_rsvp"
            )
        )
        assert spent == -250
    assert ledger_problems(pg_app) == []


def test_cancellations_at_once_promote_each_freed_seat_exactly_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    event = admin_post(
        client, program, "/api/v1/admin/events", event_body(capacity=5, price_points=3)
    )
    people = [member(pg_app, client, points=3) for _ in range(12)]
    for i, handle in enumerate(people):
        res = client.post(
            f"/api/v1/events/{event['id']}/rsvp",
            headers=handle.headers | {"Idempotency-Key": f"b{i}"},
        )
        assert res.status_code == 201
    # The five seated cancel at once, each twice.
    seated = people[:5] * 2

    def cancel(i: int) -> int:
        res = pg_app.test_client().delete(
            f"/api/v1/events/{event['id']}/rsvp", headers=seated[i].headers
        )
        return res.status_code

    codes = _race(10, cancel)
    assert sorted(codes) == [200] * 5 + [409] * 5
    with pg_app.app_context():
        rows = {r.member_id: r for r in db.session.scalars(select(Rsvp))}
        by_seq = sorted(rows.values(), key=lambda r: r.seq)
        assert [r.status for r in by_seq] == ["cancelled"] * 5 + ["confirmed"] * 5 + [
            "waitlisted"
        ] * 2
        assert db.session.scalar(select(Event.confirmed_count)) == 5
    assert len(push_jobs(pg_app, "event_waitlist")) == 5
    assert [balance(pg_app, p.id) for p in people[:5]] == [3] * 5
    assert ledger_problems(pg_app) == []


def test_concurrent_responses_reward_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    survey = admin_post(client, program, "/api/v1/admin/surveys", survey_body(reward_points=40))
    aino = member(pg_app, client)

    def respond(_: int) -> int:
        res = pg_app.test_client().post(
            f"/api/v1/surveys/{survey['id']}/responses",
            json={"answers": answers(survey)},
            headers=aino.headers,
        )
        return res.status_code

    codes = _race(20, respond)
    assert sorted(codes) == [201] + [409] * 19
    assert balance(pg_app, aino.id) == 40
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(SurveyResponse.id))) == 1
        assert (
            db.session.scalar(
                select(func.count(LedgerEntry.id)).where(
                    LedgerEntry.reference_type == "survey_response"
                )
            )
            == 1
        )
    assert ledger_problems(pg_app) == []


def test_concurrent_votes_count_once(pg_app):
    program = seed_program(pg_app)
    client = pg_app.test_client()
    poll = admin_post(client, program, "/api/v1/admin/polls", poll_body(votes_per_member=2))
    ids = [c["id"] for c in poll["candidates"]]
    gold = member(pg_app, client, "gold")
    # Ten at once for each of three candidates: one vote each for two of them, no more.
    wanted = [ids[i % 3] for i in range(30)]

    def vote(i: int) -> int:
        res = pg_app.test_client().post(
            f"/api/v1/polls/{poll['id']}/votes",
            json={"candidate_id": wanted[i]},
            headers=gold.headers,
        )
        return res.status_code

    codes = _race(30, vote)
    assert codes.count(201) == 2 and codes.count(409) == 28
    with pg_app.app_context():
        votes = list(db.session.scalars(select(PollVote)))
        assert len(votes) == 2 and len({v.candidate_id for v in votes}) == 2
