"""What the referral tests share: codes, friends, settings, the rows behind them."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.members.models import Member
from app.models_base import utcnow
from referrals.referrals.models import Referral
from referrals.referrals.rewarding import award_key
from tests.support import MemberHandle, Program, bearer, signup

FRIEND_NAME = "Anna Virtanen"


def code_of(client: FlaskClient, member: MemberHandle) -> str:
    res = client.get("/api/v1/me/referral", headers=member.headers)
    assert res.status_code == 200, res.get_json()
    return res.get_json()["code"]


def friend(client: FlaskClient, code: str, email: str, **extra) -> MemberHandle:
    return signup(client, email, referral_code=code, name=extra.pop("name", FRIEND_NAME), **extra)


def settings(client: FlaskClient, program: Program, **changes) -> dict:
    res = client.patch(
        "/api/v1/admin/referral-settings", json=changes, headers=bearer(program.admin_token)
    )
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def referral(app: Flask, friend_public_id: str) -> dict:
    """The friend's referral row as plain values."""
    with app.app_context():
        row = db.session.scalar(
            select(Referral)
            .join(Member, Member.id == Referral.friend_member_id)
            .where(Member.public_id == friend_public_id)
        )
        assert row is not None
        return {c.key: getattr(row, c.key) for c in Referral.__mapper__.column_attrs}


def balances(app: Flask, public_id: str) -> tuple[int, int]:
    """(available, pending) of a member."""
    with app.app_context():
        m = db.session.scalar(select(Member).where(Member.public_id == public_id))
        return m.points_available, m.points_pending


def entries(app: Flask, key: str) -> list[tuple[int, int]]:
    """(available, pending) deltas of the ledger entries under an idempotency key."""
    with app.app_context():
        return [
            (e.available_delta, e.pending_delta)
            for e in db.session.scalars(
                select(LedgerEntry).where(LedgerEntry.idempotency_key == key)
            )
        ]


def side_entries(app: Flask, referral_public_id: str, side: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(LedgerEntry.id)).where(
                LedgerEntry.idempotency_key == award_key(referral_public_id, side)
            )
        )


def settle(app: Flask, days: int = 15) -> int:
    from referrals.referrals.service import settle_due

    with app.app_context():
        return settle_due(utcnow() + timedelta(days=days))


def release(app: Flask, days: int = 15) -> None:
    from app.ledger.service import release_due

    with app.app_context():
        release_due(utcnow() + timedelta(days=days))


def problems(app: Flask) -> list[dict]:
    from app.ledger.checks import ledger_problems

    with app.app_context():
        return ledger_problems()
