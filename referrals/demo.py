"""The referrals part of the demo: a creator's code, and Maria with two friends (Jan, whose
first purchase qualified, and Emma, who has joined and not bought yet)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.ledger.service import lock_member
from app.members.models import Member
from app.models_base import utcnow
from app.purchases.models import Purchase
from referrals.codes.service import code_of
from referrals.partners.service import create_partner
from referrals.program.service import get_settings
from referrals.referrals import service
from referrals.state import enabled

PARTNER_CODE = "ANNA10"


def _member(name: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.name == name))


def seed_demo() -> dict:
    if not enabled():  # registered process-wide: not in an app without the package
        return {}
    now = utcnow()
    create_partner(
        {
            "name": "Anna Creates",
            "code": PARTNER_CODE,
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=90),
            "welcome_points": 100,
            "signup_cap": 500,
            "commission_kind": "money",
            "commission_amount": 2,
        }
    )
    maria, jan, emma, aino = (
        _member(n) for n in ("Maria Santos", "Jan Kowalski", "Emma Smith", "Aino Virtanen")
    )
    if None in (maria, jan, emma, aino):
        return {}
    settings = get_settings()
    code = code_of(maria).code
    joined = {}
    for friend, with_code in ((jan, code), (emma, code), (aino, PARTNER_CODE)):
        joined[friend.name] = service.join(friend, with_code)
    # The demo's members bought before they were referred: their first purchase counts.
    for friend in (jan, aino):
        lock_member(friend.id)
        bought = db.session.scalar(
            select(Purchase).where(Purchase.member_id == friend.id).order_by(Purchase.id)
        )
        service.qualify(joined[friend.name], settings, bought.public_id, bought.amount_minor, now)
    db.session.commit()
    return {"referrer": maria.public_id, "code": code, "partner_code": PARTNER_CODE}
