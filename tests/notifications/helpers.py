"""What the push tests share: members with devices, segments, offers and campaigns over HTTP."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import outbox
from app.extensions import db
from app.models_base import utcnow
from app.outbox import OutboxJob
from notifications.delivery.models import Delivery
from tests.support import MemberHandle, Program, bearer, signup

_n = itertools.count(1)


def member_with_device(
    client: FlaskClient,
    *,
    language: str = "fi",
    timezone: str = "Europe/Helsinki",
    consent: bool = True,
    name: str | None = None,
    fid: str | None = "auto",
    token: str | None = None,
    platform: str = "android",
) -> tuple[MemberHandle, dict[str, Any]]:
    n = next(_n)
    member = signup(
        client,
        f"push{n}@test.example",
        language=language,
        timezone=timezone,
        marketing_consent=consent,
        name=name or f"Member {n}",
    )
    body: dict[str, Any] = {"platform": platform, "app_version": "2.4.0"}
    if fid == "auto":
        fid = f"fid-{n}-{member.id}"
    if fid:
        body["fid"] = fid
    if token:
        body["token"] = token
    res = client.post("/api/v1/me/devices", json=body, headers=member.headers)
    assert res.status_code == 201, res.get_json()
    return member, res.get_json() | {"fid": fid, "token": token}


def make_segment(client: FlaskClient, program: Program, rules: dict, name: str = "seg") -> str:
    res = client.post(
        "/api/v1/admin/segments",
        json={"name": name, "rules": rules},
        headers=bearer(program.admin_token),
    )
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def make_offer(
    client: FlaskClient,
    program: Program,
    ends_in: dt.timedelta = dt.timedelta(hours=6),
    **fields: Any,
) -> dict[str, Any]:
    now = utcnow()
    body = {
        "title": {"en": "Bonus weekend", "fi": "Bonusviikonloppu"},
        "starts_at": (now - dt.timedelta(hours=1)).isoformat(),
        "ends_at": (now + ends_in).isoformat(),
        "benefit": "bonus_points",
        "points": 100,
    } | fields
    res = client.post("/api/v1/admin/offers", json=body, headers=bearer(program.admin_token))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


CAMPAIGN_TEXTS = {
    "title": {
        "en": "Hi {name}, double points",
        "fi": "Hei {name}, tuplapisteet",
        "pl": "Cześć {name}, podwójne punkty",
    },
    "body": {
        "en": "All weekend long.",
        "fi": "Koko viikonlopun.",
        "pl": "Przez cały weekend.",
    },
}


def make_campaign(client: FlaskClient, program: Program, **fields: Any) -> dict[str, Any]:
    body = {"name": "Weekend", **CAMPAIGN_TEXTS} | fields
    res = client.post("/api/v1/admin/campaigns", json=body, headers=bearer(program.admin_token))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def send_campaign(client: FlaskClient, program: Program, campaign_id: str) -> dict[str, Any]:
    res = client.post(
        f"/api/v1/admin/campaigns/{campaign_id}/send", headers=bearer(program.admin_token)
    )
    assert res.status_code == 202, res.get_json()
    return res.get_json()


def get_campaign(client: FlaskClient, program: Program, campaign_id: str) -> dict[str, Any]:
    res = client.get(f"/api/v1/admin/campaigns/{campaign_id}", headers=bearer(program.admin_token))
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def deliveries(app: Flask, **where: Any) -> list[Delivery]:
    with app.app_context():
        stmt = select(Delivery).filter_by(**where).order_by(Delivery.id)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


def jobs(app: Flask, topic: str | None = None) -> list[OutboxJob]:
    with app.app_context():
        stmt = select(OutboxJob).order_by(OutboxJob.id)
        if topic:
            stmt = stmt.where(OutboxJob.topic == topic)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


def run_due_jobs(app: Flask, *, as_if_later: bool = True) -> int:
    """Make waiting jobs and deliveries due now (time passing), then run the outbox."""
    with app.app_context():
        if as_if_later:
            now = utcnow()
            db.session.execute(
                OutboxJob.__table__.update()
                .where(OutboxJob.status == "pending")
                .values(available_at=now)
            )
            db.session.execute(
                Delivery.__table__.update()
                .where(Delivery.status == "pending")
                .values(scheduled_for=now)
            )
            db.session.commit()
        return outbox.dispatch()
