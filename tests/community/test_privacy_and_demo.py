"""The community's part of the members' data (export, erasure), of the audit trail, and of
the demo."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from tests.community.helpers import (
    admin_post,
    answers,
    event_body,
    ledger_problems,
    member,
    member_row_id,
    poll_body,
    survey_body,
)
from tests.support import bearer


def _activity(app, client, program):
    survey = admin_post(client, program, "/api/v1/admin/surveys", survey_body())
    poll = admin_post(client, program, "/api/v1/admin/polls", poll_body())
    event = admin_post(
        client, program, "/api/v1/admin/events", event_body(capacity=1, price_points=10)
    )
    admin_post(
        client, program, "/api/v1/admin/interests", {"code": "coffee", "name": {"en": "Coffee"}}
    )
    aino = member(app, client, "gold", points=10)
    jan = member(app, client, "gold", points=10)
    res = client.post(
        f"/api/v1/surveys/{survey['id']}/responses",
        json={
            "answers": answers(survey, score=2, text="My secret complaint"),
            "contact_consent": True,
        },
        headers=aino.headers,
    )
    assert res.status_code == 201
    candidate = poll["candidates"][0]["id"]
    assert (
        client.post(
            f"/api/v1/polls/{poll['id']}/votes",
            json={"candidate_id": candidate},
            headers=aino.headers,
        ).status_code
        == 201
    )
    for i, handle in enumerate((aino, jan)):
        res = client.post(
            f"/api/v1/events/{event['id']}/rsvp",
            headers=handle.headers | {"Idempotency-Key": f"k{i}"},
        )
        assert res.status_code == 201
    client.put(
        "/api/v1/me/interests",
        json={"interests": ["coffee"], "communication": {"push": ["coffee"]}},
        headers=aino.headers,
    )
    return survey, poll, event, aino, jan


def test_the_export_holds_answers_votes_bookings_and_interests(app, client, program):
    survey, poll, event, aino, _ = _activity(app, client, program)
    res = client.get("/api/v1/me/export", headers=aino.headers)
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    body = json.loads(res.get_data(as_text=True))
    (response,) = body["survey_responses"]
    assert response["survey_id"] == survey["id"]
    assert {
        "question_id": survey["questions"][4]["id"],
        "score": None,
        "choice": None,
        "text": "My secret complaint",
    } in response["answers"]
    assert body["poll_votes"][0]["poll_id"] == poll["id"]
    assert body["event_bookings"][0]["event_id"] == event["id"]
    assert body["interests"] == {
        "interests": ["coffee"],
        "communication": {"push": ["coffee"], "email": []},
    }


def test_erasure_removes_free_text_and_gives_up_the_seat(app, client, program):
    from app.members.models import Member
    from app.privacy.erasure import request_erasure
    from community.events.models import Rsvp
    from community.interests.models import MemberInterest
    from community.surveys.models import SurveyAnswer, SurveyResponse

    survey, _, _event, aino, jan = _activity(app, client, program)
    with app.app_context():
        row = db.session.get(Member, member_row_id(app, aino.id))
        from app.auth.models import User

        request_erasure(row, db.session.get(User, row.user_id))
    with app.app_context():
        texts = list(
            db.session.scalars(select(SurveyAnswer.text).where(SurveyAnswer.text.is_not(None)))
        )
        assert texts == []
        # The scores stay, anonymous, in the results.
        assert db.session.scalar(select(SurveyAnswer.number).where(SurveyAnswer.number == 2)) == 2
        assert db.session.scalar(select(SurveyResponse.contact_consent)) is False
        assert db.session.scalars(select(MemberInterest)).all() == []
        statuses = {r.member_id: r.status for r in db.session.scalars(select(Rsvp))}
        assert statuses[member_row_id(app, aino.id)] == "forfeited"
        assert statuses[member_row_id(app, jan.id)] == "confirmed"
    res = client.get(
        f"/api/v1/admin/surveys/{survey['id']}/detractors", headers=bearer(program.admin_token)
    )
    assert res.get_json() == []
    assert ledger_problems(app) == []


def test_admin_changes_are_audited(app, client, program):
    survey = admin_post(client, program, "/api/v1/admin/surveys", survey_body())
    client.patch(
        f"/api/v1/admin/surveys/{survey['id']}",
        json={"title": {"en": "Renamed"}},
        headers=bearer(program.admin_token),
    )
    res = client.get("/api/v1/admin/audit?action=survey.", headers=bearer(program.admin_token))
    assert res.status_code == 200, res.get_json()
    items = res.get_json()["events"]
    actions = [(e["action"], e["target_id"]) for e in items]
    assert actions == [("survey.update", survey["id"]), ("survey.create", survey["id"])]
    assert items[0]["before"]["title"] == survey["title"]
    assert items[0]["after"]["title"] == {"en": "Renamed"}


def test_the_demo_has_a_survey_a_poll_an_event_and_interests_in_four_languages(app):
    from app.seed import seed
    from community.events.models import Event
    from community.interests.models import Interest
    from community.polls.models import Poll
    from community.surveys.models import Survey, SurveyInvitation

    with app.app_context():
        seed(force=True)
        survey = db.session.scalar(select(Survey))
        assert survey.trigger == "purchase" and survey.questions[0].kind == "nps"
        assert set(survey.title) == {"en", "fi", "pl", "tl"}
        assert db.session.scalar(select(SurveyInvitation.id)) is not None
        poll = db.session.scalar(select(Poll))
        assert poll.tiers == ["gold", "platinum"] and set(poll.title) == {"en", "fi", "pl", "tl"}
        event = db.session.scalar(select(Event))
        assert [w["tier"] for w in event.early_access] == ["platinum", "gold"]
        assert set(event.title) == {"en", "fi", "pl", "tl"}
        interests = list(db.session.scalars(select(Interest)))
        assert len(interests) >= 4 and all(
            set(i.name) == {"en", "fi", "pl", "tl"} for i in interests
        )
        assert ledger_problems(app) == []
