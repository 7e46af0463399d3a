"""The export: one JSON document, streamed, with every registered part, as the OpenAPI document
describes it."""

from __future__ import annotations

import json
import uuid

from openapi_schema_validator import OAS30Validator
from sqlalchemy import select

from app.privacy.export import export_parts, register_export_part
from app.schemas import StrictSchema
from tests.support import bearer, purchase, signup

CORE_PARTS = [
    "profile",
    "card",
    "consents",
    "consent_history",
    "ledger",
    "purchases",
    "refunds",
    "redemptions",
    "offer_claims",
    "holdout_groups",
    "sessions",
]


def _documented(client, path: str) -> dict:
    spec = client.get("/openapi.json").get_json()
    schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return {**schema, "components": spec["components"]}


def test_the_member_gets_every_core_part_streamed_and_as_documented(app, client, program):
    member = signup(client, "export@test.example", name="Exporta")
    bought = purchase(client, program, member.card_number, "64.00").get_json()
    client.post(
        f"/api/v1/transactions/{bought['id']}/refunds",
        json={"amount": "4.00"},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": uuid.uuid4().hex},
    )
    res = client.get("/api/v1/me/export", headers=member.headers)
    assert res.status_code == 200
    assert res.is_streamed
    assert res.mimetype == "application/json"
    assert "attachment" in res.headers["Content-Disposition"]
    body = json.loads(res.get_data(as_text=True))
    names = [p.name for p in export_parts(app)]
    assert names[: len(CORE_PARTS)] == CORE_PARTS
    assert list(body) == ["format", "version", "generated_at", "member_id", *names]
    assert body["profile"]["email"] == "export@test.example"
    assert body["profile"]["name"] == "Exporta"
    assert body["card"]["barcode_value"] == member.card_number
    assert [p["id"] for p in body["purchases"]] == [bought["id"]]
    assert body["refunds"][0]["amount"] == "4.00"
    assert [e["kind"] for e in body["ledger"]] == ["earn", "reverse"]
    assert {c["purpose"] for c in body["consents"]} == {
        "marketing_push",
        "email",
        "data_processing",
        "terms",
    }
    assert len(body["consent_history"]) == 4
    assert body["sessions"] and "current_refresh_jti" not in body["sessions"][0]
    errors = list(OAS30Validator(_documented(client, "/api/v1/me/export")).iter_errors(body))
    assert errors == [], [e.message for e in errors]


def test_the_export_names_the_groups_the_member_was_drawn_into(app, client, program):
    """An offer's holdout groups are recorded at its start: the member's group (held out or
    not, whichever the draw said) is data held about them, named by the offer's public id."""
    from datetime import timedelta

    from app.extensions import db
    from app.holdout import rules
    from app.holdout.service import is_held_out
    from app.members.models import Member
    from app.models_base import utcnow
    from app.offers.models import Offer
    from app.offers.service import record_holdouts

    member = signup(client, "drawn@test.example")
    now = utcnow()
    offer = client.post(
        "/api/v1/admin/offers",
        json={
            "title": {"en": "Measured"},
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
            "benefit": "gift_points",
            "points": 10,
            "holdout_percent": 50,
        },
        headers=bearer(program.admin_token),
    ).get_json()
    with app.app_context():
        assert record_holdouts(now + timedelta(seconds=1)) == 1
        row = db.session.scalar(select(Offer).where(Offer.public_id == offer["id"]))
        mem = db.session.scalar(select(Member).where(Member.public_id == member.id))
        drawn = is_held_out(rules.OFFER, row.id, mem.id, 50)
    body = json.loads(client.get("/api/v1/me/export", headers=member.headers).get_data(True))
    (group,) = body["holdout_groups"]
    assert (group["subject_kind"], group["subject_id"]) == ("offer", offer["id"])
    assert group["held_out"] is drawn
    errors = list(OAS30Validator(_documented(client, "/api/v1/me/export")).iter_errors(body))
    assert errors == [], [e.message for e in errors]


def test_a_long_history_goes_out_in_chunks(app, client, program):
    from app.extensions import db
    from app.ledger.service import adjust
    from app.members.models import Member

    member = signup(client, "long@test.example")
    with app.app_context():
        row = db.session.query(Member).filter_by(public_id=member.id).one()
        for i in range(1500):
            adjust(row.id, 1, f"Entry number {i} of a long history", "usr_admin")
        db.session.commit()
    res = client.get("/api/v1/me/export", headers=member.headers, buffered=False)
    chunks = list(res.response)
    assert len(chunks) > 2  # written as it is read, not as one body
    body = json.loads(b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks))
    assert len(body["ledger"]) == 1500
    assert body["card"]["points_available"] == 1500


def test_an_operator_export_is_the_same_document_and_audited(client, program):
    admin = bearer(program.admin_token)
    member = signup(client, "asked@test.example")
    res = client.get(f"/api/v1/admin/members/{member.id}/export", headers=admin)
    assert res.status_code == 200
    body = json.loads(res.get_data(as_text=True))
    assert body["member_id"] == member.id
    path = "/api/v1/admin/members/{member_id}/export"
    assert list(OAS30Validator(_documented(client, path)).iter_errors(body)) == []
    trail = client.get("/api/v1/admin/audit?action=member.export", headers=admin).get_json()
    assert [e["target_id"] for e in trail["events"]] == [member.id]
    missing = client.get("/api/v1/admin/members/mem_nope/export", headers=admin)
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "member_not_found")
    assert (
        client.get(
            f"/api/v1/admin/members/{member.id}/export",
            headers=signup(client, "other@test.example").headers,
        ).status_code
        == 403
    )


def test_a_package_adds_its_part_and_the_document_names_it(tmp_path):
    from marshmallow import fields

    from tests.conftest import make_app

    class NoteSchema(StrictSchema):
        text = fields.Str(required=True)

    app = make_app("sqlite", tmp_path, FEATURES=())
    # Registered as a feature's init_app would, before the export's blueprint is made.
    register_export_part(app, "notes", NoteSchema, lambda m: iter([{"text": "hi"}]))
    from app.privacy.export import document_schema

    assert "notes" in document_schema(app)().fields
    try:
        register_export_part(app, "notes", NoteSchema, lambda m: [])
    except ValueError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a part registered twice")
