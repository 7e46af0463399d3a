"""What the community tests share: admins' surveys, polls and events over HTTP, members of a
tier, points, pushes made."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.ledger.service import adjust
from app.members.models import Member
from app.models_base import utcnow
from app.tiers.models import Tier
from tests.support import MemberHandle, Program, bearer, signup

_n = itertools.count(1)
NPS_TEXT = {"en": "Would you recommend us?", "fi": "Suosittelisitko meitä?"}


def iso(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat()


def member(
    app: Flask, client: FlaskClient, tier: str = "silver", points: int = 0, **extra
) -> MemberHandle:
    handle = signup(client, f"community{next(_n)}@test.example", **extra)
    with app.app_context():
        row = db.session.scalar(select(Member).where(Member.public_id == handle.id))
        row.tier_id = db.session.scalar(select(Tier.id).where(Tier.code == tier))
        db.session.commit()
        if points:
            adjust(row.id, points, "test points", "admin")
            db.session.commit()
    return handle


def member_row_id(app: Flask, public_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Member.id).where(Member.public_id == public_id))


def balance(app: Flask, public_id: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Member.points_available).where(Member.public_id == public_id)
        )


def admin_post(client: FlaskClient, program: Program, path: str, body: dict) -> dict[str, Any]:
    res = client.post(path, json=body, headers=bearer(program.admin_token))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def survey_body(**fields: Any) -> dict[str, Any]:
    return {
        "title": {"en": "Your visit", "fi": "Käyntisi"},
        "starts_at": iso(-timedelta(hours=1)),
        "ends_at": iso(timedelta(days=7)),
        "reward_points": 25,
        "questions": [
            {"kind": "nps", "text": NPS_TEXT},
            {"kind": "rating", "text": {"en": "Service?"}},
            {
                "kind": "single",
                "text": {"en": "Why?"},
                "options": [
                    {"code": "price", "label": {"en": "Price", "fi": "Hinta"}},
                    {"code": "staff", "label": {"en": "Staff", "fi": "Henkilökunta"}},
                ],
            },
            {
                "kind": "multiple",
                "text": {"en": "What did you buy?"},
                "required": False,
                "options": [
                    {"code": "food", "label": {"en": "Food"}},
                    {"code": "drinks", "label": {"en": "Drinks"}},
                    {"code": "other", "label": {"en": "Other"}},
                ],
            },
            {"kind": "text", "text": {"en": "Anything else?"}, "required": False},
        ],
    } | fields


def answers(survey: dict, score: int = 9, text: str | None = None) -> list[dict]:
    q = [question["id"] for question in survey["questions"]]
    given = [
        {"question_id": q[0], "score": score},
        {"question_id": q[1], "score": 4},
        {"question_id": q[2], "choice": "staff"},
        {"question_id": q[3], "choices": ["food", "drinks"]},
    ]
    if text is not None:
        given.append({"question_id": q[4], "text": text})
    return given


def poll_body(**fields: Any) -> dict[str, Any]:
    return {
        "title": {"en": "Next product", "fi": "Seuraava tuote"},
        "starts_at": iso(-timedelta(hours=1)),
        "ends_at": iso(timedelta(days=7)),
        "tiers": ["gold", "platinum"],
        "candidates": [
            {"name": {"en": "Oat latte", "fi": "Kauralatte"}, "image_url": "https://x.test/a.jpg"},
            {"name": {"en": "Rye crisps", "fi": "Ruisnäkkäri"}},
            {"name": {"en": "Jam"}},
        ],
    } | fields


def event_body(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "workshop",
        "title": {"en": "Latte art", "fi": "Latte-taide"},
        "starts_at": iso(timedelta(days=10)),
        "capacity": 2,
        "opens_at": iso(-timedelta(hours=1)),
    } | fields


def push_deliveries(app: Flask, kind: str) -> list:
    from notifications.delivery.models import Delivery

    with app.app_context():
        rows = db.session.scalars(
            select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)
        )
        return [(d.member_id, d.title, d.body) for d in rows]


def push_jobs(app: Flask, kind: str) -> list[dict]:
    """The transactional push jobs asked for (run or not), by kind."""
    from app.outbox import OutboxJob

    with app.app_context():
        jobs = db.session.scalars(
            select(OutboxJob).where(OutboxJob.topic == "push.transactional").order_by(OutboxJob.id)
        )
        return [j.payload for j in jobs if j.payload.get("kind") == kind]


def ledger_problems(app: Flask) -> list[dict]:
    from app.ledger.service import integrity_problems

    with app.app_context():
        return integrity_problems()
