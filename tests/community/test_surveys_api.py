"""Surveys over HTTP: building, answering once with the reward through the ledger, answers
checked against their questions, the purchase's survey and its push, the results."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from app.extensions import db
from app.ledger.models import LedgerEntry
from tests.community.helpers import (
    admin_post,
    answers,
    balance,
    iso,
    ledger_problems,
    member,
    push_deliveries,
    push_jobs,
    survey_body,
)
from tests.notifications.helpers import member_with_device
from tests.support import bearer, purchase


def _respond(client, handle, survey, given, **extra):
    return client.post(
        f"/api/v1/surveys/{survey['id']}/responses",
        json={"answers": given} | extra,
        headers=handle.headers,
    )


def test_a_member_answers_once_and_is_rewarded_once(app, client, program):
    survey = admin_post(client, program, "/api/v1/admin/surveys", survey_body())
    aino = member(app, client)
    listed = client.get("/api/v1/surveys", headers=aino.headers).get_json()
    assert [s["id"] for s in listed] == [survey["id"]]
    # In the member's language (fi), with the options' labels.
    assert listed[0]["title"] == "Käyntisi"
    assert listed[0]["questions"][2]["options"][1] == {"code": "staff", "label": "Henkilökunta"}

    first = _respond(client, aino, survey, answers(survey, text="Nice"))
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["points_awarded"] == 25
    again = _respond(client, aino, survey, answers(survey))
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "survey_already_answered"
    assert balance(app, aino.id) == 25
    with app.app_context():
        entries = db.session.query(LedgerEntry).filter_by(reference_type="survey_response").all()
        assert [(e.available_delta, e.reference_id) for e in entries] == [
            (25, first.get_json()["id"])
        ]
    assert client.get("/api/v1/surveys", headers=aino.headers).get_json() == []
    assert ledger_problems(app) == []


def test_the_reward_does_not_depend_on_the_answers(app, client, program):
    survey = admin_post(client, program, "/api/v1/admin/surveys", survey_body())
    low, high = member(app, client), member(app, client)
    assert _respond(client, low, survey, answers(survey, score=0)).status_code == 201
    assert _respond(client, high, survey, answers(survey, score=10)).status_code == 201
    assert balance(app, low.id) == balance(app, high.id) == 25


def test_answers_that_do_not_fit_are_a_422_naming_each_question(app, client, program):
    survey = admin_post(client, program, "/api/v1/admin/surveys", survey_body())
    q = [question["id"] for question in survey["questions"]]
    aino = member(app, client)
    bad = [
        {"question_id": q[0], "score": 11},  # NPS is 0-10
        {"question_id": q[1], "choice": "price"},  # a rating takes a score
        {"question_id": q[2], "choice": "nope"},  # not an option
        {"question_id": q[3], "choices": ["food", "food"]},  # twice
        {"question_id": "sq_unknown", "score": 1},
    ]
    res = _respond(client, aino, survey, bad)
    assert res.status_code == 422
    error = res.get_json()["error"]
    assert error["code"] == "invalid_answers"
    assert set(error["details"]["questions"]) == {q[0], q[1], q[2], q[3], "sq_unknown"}
    missing = _respond(client, aino, survey, [{"question_id": q[0], "score": 5}])
    assert missing.status_code == 422
    assert set(missing.get_json()["error"]["details"]["questions"]) == {q[1], q[2]}
    # Nothing half-written: no response, no points, and a good answer still goes through.
    assert balance(app, aino.id) == 0
    assert _respond(client, aino, survey, answers(survey)).status_code == 201


def test_window_and_eligibility_are_clear_4xx(app, client, program):
    later = admin_post(
        client,
        program,
        "/api/v1/admin/surveys",
        survey_body(starts_at=iso(timedelta(days=1)), ends_at=iso(timedelta(days=2))),
    )
    gold_only = admin_post(client, program, "/api/v1/admin/surveys", survey_body(tiers=["gold"]))
    aino = member(app, client)
    res = _respond(client, aino, later, answers(later))
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "survey_not_started")
    res = _respond(client, aino, gold_only, answers(gold_only))
    assert (res.status_code, res.get_json()["error"]["code"]) == (403, "survey_not_eligible")
    listed = client.get("/api/v1/surveys", headers=aino.headers).get_json()
    assert listed == []


def test_admin_input_is_checked(client, program):
    headers = bearer(program.admin_token)
    body = survey_body(questions=[{"kind": "single", "text": {"en": "?"}, "options": []}])
    res = client.post("/api/v1/admin/surveys", json=body, headers=headers)
    assert res.status_code == 422
    res = client.post(
        "/api/v1/admin/surveys", json=survey_body(ends_at=iso(-timedelta(days=1))), headers=headers
    )
    assert res.status_code == 422
    res = client.post(
        "/api/v1/admin/surveys", json=survey_body(interests=["nothing"]), headers=headers
    )
    assert res.status_code == 422


def test_questions_stay_once_answered(app, client, program):
    survey = admin_post(client, program, "/api/v1/admin/surveys", survey_body())
    path = f"/api/v1/admin/surveys/{survey['id']}"
    headers = bearer(program.admin_token)
    changed = client.patch(path, json={"title": {"en": "New"}}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["title"] == {"en": "New"}
    assert _respond(client, member(app, client), survey, answers(survey)).status_code == 201
    res = client.patch(path, json={"questions": survey_body()["questions"][:1]}, headers=headers)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "survey_has_responses")


def test_a_purchase_brings_its_survey_with_a_push_and_the_store(app, client, program):
    survey = admin_post(
        client,
        program,
        "/api/v1/admin/surveys",
        survey_body(trigger="purchase", trigger_store_ids=[program.store_id]),
    )
    aino, _device = member_with_device(client, language="fi")
    # Not invited yet: the survey follows a visit.
    assert client.get("/api/v1/surveys", headers=aino.headers).get_json() == []
    res = _respond(client, aino, survey, answers(survey))
    assert (res.status_code, res.get_json()["error"]["code"]) == (403, "survey_not_invited")

    assert purchase(client, program, aino.card_number, "10.00").status_code == 201
    assert purchase(client, program, aino.card_number, "12.00").status_code == 201
    listed = client.get("/api/v1/surveys", headers=aino.headers).get_json()
    assert [(s["id"], s["store_id"]) for s in listed] == [(survey["id"], program.store_id)]
    # One push, however many purchases, in the member's language, naming the store.
    (push,) = push_deliveries(app, "survey_invitation")
    assert push[1] == "Millainen oli käyntisi: Main street?"
    assert "Käyntisi" in push[2]
    done = _respond(client, aino, survey, answers(survey))
    assert done.status_code == 201
    assert done.get_json()["store_id"] == program.store_id


def test_a_purchase_elsewhere_or_switched_off_brings_no_push(app, client, program):
    admin_post(
        client,
        program,
        "/api/v1/admin/surveys",
        survey_body(trigger="purchase", trigger_store_ids=[program.other_store_id]),
    )
    aino, _ = member_with_device(client)
    assert purchase(client, program, aino.card_number, "10.00").status_code == 201
    assert push_jobs(app, "survey_invitation") == []

    other = admin_post(client, program, "/api/v1/admin/surveys", survey_body(trigger="purchase"))
    jan, _ = member_with_device(client)
    res = client.patch(
        "/api/v1/me/notification-preferences",
        json={"survey_invitation": False},
        headers=jan.headers,
    )
    assert res.status_code == 200 and res.get_json()["survey_invitation"] is False
    assert purchase(client, program, jan.card_number, "10.00").status_code == 201
    # Invited (the survey is there to answer), but the switch keeps the push away.
    listed = client.get("/api/v1/surveys", headers=jan.headers).get_json()
    assert [s["id"] for s in listed] == [other["id"]]
    assert len(push_jobs(app, "survey_invitation")) == 1
    assert push_deliveries(app, "survey_invitation") == []


def test_no_live_trigger_means_no_query_on_the_purchase_path(app, client, program):
    """The purchase subscriber reads the live triggers once per cache period, not per purchase."""
    from sqlalchemy import event

    from app.extensions import db as database

    aino = member(app, client)
    assert purchase(client, program, aino.card_number, "5.00").status_code == 201  # warms it
    seen: list[str] = []
    with app.app_context():
        engine = database.engine

        def count(_conn, _cursor, statement, *_args):
            if "community_" in statement:
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert purchase(client, program, aino.card_number, "6.00").status_code == 201
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert seen == []


def test_results_distribution_nps_per_store_texts_csv_and_detractors(app, client, program):
    survey = admin_post(client, program, "/api/v1/admin/surveys", survey_body(trigger="purchase"))
    people = [member(app, client) for _ in range(4)]
    for person in people:
        assert purchase(client, program, person.card_number, "10.00").status_code == 201
    scores = [10, 9, 7, 3]
    for person, score in zip(people, scores, strict=True):
        res = _respond(
            client,
            person,
            survey,
            answers(survey, score=score, text=f"said {score}"),
            contact_consent=score == 3,
        )
        assert res.status_code == 201, res.get_json()
    headers = bearer(program.admin_token)
    body = client.get(f"/api/v1/admin/surveys/{survey['id']}/results", headers=headers).get_json()
    assert body["responses"] == 4
    nps_q = body["questions"][0]
    assert nps_q["nps"] == {
        "responses": 4,
        "promoters": 2,
        "passives": 1,
        "detractors": 1,
        "score": 25,
    }
    assert nps_q["scores"] == [{"score": s, "count": 1} for s in sorted(scores)]
    assert nps_q["average"] == 7.25
    assert body["questions"][2]["choices"] == [
        {"code": "price", "count": 0},
        {"code": "staff", "count": 4},
    ]
    assert body["questions"][3]["choices"][0] == {"code": "food", "count": 4}
    assert sorted(t["text"] for t in body["questions"][4]["texts"]) == [
        "said 10",
        "said 3",
        "said 7",
        "said 9",
    ]
    (store,) = body["stores"]
    assert (store["store_id"], store["responses"], store["nps"]["score"]) == (
        program.store_id,
        4,
        25,
    )

    res = client.get(f"/api/v1/admin/surveys/{survey['id']}/results.csv", headers=headers)
    assert res.status_code == 200 and res.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(res.get_data(as_text=True))))
    assert rows[0][:3] == ["response_id", "answered_at", "store"]
    assert len(rows) == 5
    assert {r[3] for r in rows[1:]} == {"10", "9", "7", "3"}
    assert {r[6] for r in rows[1:]} == {"food;drinks"}

    res = client.get(f"/api/v1/admin/surveys/{survey['id']}/detractors", headers=headers)
    (detractor,) = res.get_json()
    assert detractor["member_id"] == people[3].id
    assert (detractor["score"], detractor["comments"]) == (3, ["said 3"])
    assert detractor["email"].endswith("@test.example")


def test_members_cannot_use_the_admin_endpoints(app, client, program):
    aino = member(app, client)
    res = client.post("/api/v1/admin/surveys", json=survey_body(), headers=aino.headers)
    assert res.status_code == 403
