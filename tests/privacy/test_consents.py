"""The consent record: append-only answers per purpose; the current state read from the newest;
sign-up's first records; campaigns' targeting on the current record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.consents.models import ConsentRecord
from app.extensions import db
from tests.support import bearer, seed_program, signup


def _records(app, member_id: str) -> list[tuple[str, bool, str, str]]:
    from app.members.models import Member

    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.public_id == member_id))
        rows = db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.member_id == member.id)
            .order_by(ConsentRecord.id)
        )
        return [(r.purpose, r.granted, r.text_version, r.channel) for r in rows]


def _state(client, member) -> dict[str, dict]:
    res = client.get("/api/v1/me/consents", headers=member.headers)
    assert res.status_code == 200, res.get_json()
    return {c["purpose"]: c for c in res.get_json()["consents"]}


def _put(client, member, *changes, channel="app"):
    return client.put(
        "/api/v1/me/consents",
        json={"consents": list(changes), "channel": channel},
        headers=member.headers,
    )


def test_signup_records_every_purpose_with_the_text_version(app, client, program):
    member = signup(client, "c1@test.example", marketing_consent=True, email_consent=False)
    assert _records(app, member.id) == [
        ("data_processing", True, "1", "signup"),
        ("terms", True, "1", "signup"),
        ("marketing_push", True, "1", "signup"),
        ("email", False, "1", "signup"),
    ]
    state = _state(client, member)
    assert state["marketing_push"]["granted"] and state["terms"]["up_to_date"]
    assert state["email"]["granted"] is False
    assert client.get("/api/v1/me", headers=member.headers).get_json()["marketing_consent"]


def test_signup_refuses_terms_it_did_not_show(client, program):
    res = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "old-terms@test.example",
            "password": "member-password-1",
            "name": "Old",
            "language": "en",
            "terms_version": "0.9",
        },
    )
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "consent_version_outdated"
    assert res.get_json()["error"]["details"]["current"] == "1"
    # Nothing half-written: the address is still free.
    assert signup(client, "old-terms@test.example").id


def test_answers_are_appended_and_the_newest_is_the_state(app, client, program):
    member = signup(client, "c2@test.example", marketing_consent=True)
    res = _put(client, member, {"purpose": "marketing_push", "granted": False}, channel="web")
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["consents"][0] == res.get_json()["consents"][0] | {
        "purpose": "marketing_push",
        "granted": False,
        "channel": "web",
    }
    # The same answer again records nothing; a new one does, the old rows stay as they were.
    assert _put(client, member, {"purpose": "marketing_push", "granted": False}).status_code == 200
    _put(client, member, {"purpose": "email", "granted": True, "text_version": "1"})
    assert _records(app, member.id)[4:] == [
        ("marketing_push", False, "1", "web"),
        ("email", True, "1", "app"),
    ]
    body = client.get("/api/v1/me/consents", headers=member.headers).get_json()
    assert [h["purpose"] for h in body["history"][:2]] == ["email", "marketing_push"]
    assert client.get("/api/v1/me", headers=member.headers).get_json()["marketing_consent"] is False


def test_a_new_text_version_is_recorded_when_agreed_to(app, client, program):
    member = signup(client, "c3@test.example")
    app.config["CONSENT_TEXT_VERSIONS"] = app.config["CONSENT_TEXT_VERSIONS"] | {"terms": "2"}
    assert _state(client, member)["terms"] | {"recorded_at": None} == {
        "purpose": "terms",
        "granted": True,
        "text_version": "1",
        "current_text_version": "2",
        "up_to_date": False,
        "channel": "signup",
        "recorded_at": None,
    }
    stale = _put(client, member, {"purpose": "terms", "granted": True, "text_version": "1"})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "consent_version_outdated"
    assert _put(client, member, {"purpose": "terms", "granted": True, "text_version": "2"})
    assert _state(client, member)["terms"]["up_to_date"] is True
    assert _records(app, member.id)[-1] == ("terms", True, "2", "app")


def test_required_consents_are_not_withdrawn_here(app, client, program):
    member = signup(client, "c4@test.example")
    before = _records(app, member.id)
    res = _put(
        client,
        member,
        {"purpose": "marketing_push", "granted": False},
        {"purpose": "terms", "granted": False},
    )
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "consent_required"
    # The whole answer is refused: not the marketing part either.
    assert _records(app, member.id) == before


def test_bad_answers_are_422(client, program):
    member = signup(client, "c5@test.example")
    for body in (
        {"consents": []},
        {"consents": [{"purpose": "cookies", "granted": True}]},
        {"consents": [{"purpose": "email", "granted": True}], "channel": "erasure"},
        {
            "consents": [
                {"purpose": "email", "granted": True},
                {"purpose": "email", "granted": False},
            ]
        },
    ):
        res = client.put("/api/v1/me/consents", json=body, headers=member.headers)
        assert res.status_code == 422, (body, res.get_json())


def test_the_profile_switch_goes_through_the_record(app, client, program):
    member = signup(client, "c6@test.example", marketing_consent=False)
    res = client.patch("/api/v1/me", json={"marketing_consent": True}, headers=member.headers)
    assert res.status_code == 200 and res.get_json()["marketing_consent"] is True
    assert _records(app, member.id)[-1] == ("marketing_push", True, "1", "app")


def test_segments_select_on_the_current_record(client, program):
    keen = signup(client, "keen@test.example", marketing_consent=True)
    signup(client, "shy@test.example", marketing_consent=False)
    seg = client.post(
        "/api/v1/admin/segments",
        json={"name": "Consenting", "rules": {"marketing_consent": True}},
        headers=bearer(program.admin_token),
    ).get_json()

    def preview() -> list[str]:
        res = client.get(
            f"/api/v1/admin/segments/{seg['id']}/preview", headers=bearer(program.admin_token)
        )
        return [m["id"] for m in res.get_json()["sample"]]

    assert preview() == [keen.id]
    _put(client, keen, {"purpose": "marketing_push", "granted": False})
    assert preview() == []


@pytest.mark.postgres
def test_racing_answers_record_one_change(pg_app):
    from concurrent.futures import ThreadPoolExecutor

    seed_program(pg_app)
    client = pg_app.test_client()
    member = signup(client, "racer@test.example", email_consent=False)

    def put(_i: int) -> int:
        return _put(pg_app.test_client(), member, {"purpose": "email", "granted": True}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(put, range(8))) == {200}
    # The answers were decided one after the other: the first changed the state, the rest
    # found it already given.
    assert [r for r in _records(pg_app, member.id) if r[0] == "email"] == [
        ("email", False, "1", "signup"),
        ("email", True, "1", "app"),
    ]
