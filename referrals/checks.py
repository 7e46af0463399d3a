"""Referrals' rules in the ledger check (`flask points check`, `GET /api/v1/admin/ledger/check`),
one set-based query per rule and side."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.ledger.checks import Problem, register_check
from app.ledger.models import LedgerEntry
from app.ledger.service import reversal_key
from referrals import rules
from referrals.partners.models import Partner
from referrals.referrals.models import Referral
from referrals.referrals.rewarding import FRIEND, REFERRER, WELCOME

GRANTED = (rules.QUALIFIED, rules.REWARDED)


def register(app: Flask) -> None:
    register_check(app, "referral_rewards", referral_rewards)
    register_check(app, "partner_signups", partner_signups)


def _side(side: str):
    """(points column, member column, whether the points were given) of one side."""
    if side == FRIEND:
        given = or_(Referral.status.in_(GRANTED), Referral.reversed_at.is_not(None))
        return Referral.friend_points, Referral.friend_member_id, given
    if side == REFERRER:
        given = or_(Referral.status.in_(GRANTED), Referral.reversed_at.is_not(None))
        return Referral.referrer_points, Referral.referrer_member_id, given
    return Referral.welcome_points, Referral.friend_member_id, literal(True)


def referral_rewards() -> Iterable[Problem]:
    """Per referral and side: points given exactly when the referral says so (qualified,
    rewarded, or reversed by a refund; a partner's welcome always), to that member, that
    many, under the side's key; a reversal entry exactly when `reversed_at` is set."""
    for side in (FRIEND, REFERRER, WELCOME):
        points, member, given = _side(side)
        award, reversal = aliased(LedgerEntry), aliased(LedgerEntry)
        key = literal("referral:") + Referral.public_id + literal(f":{side}")
        rows = db.session.execute(
            select(
                Referral.public_id,
                Referral.status,
                points,
                member,
                given,
                Referral.reversed_at.is_not(None),
                award.member_id,
                award.available_delta + award.pending_delta,
                reversal.id.is_not(None),
            )
            .outerjoin(award, award.idempotency_key == key)
            .outerjoin(reversal, reversal.idempotency_key == key + literal(reversal_key("")))
            .where(or_(points > 0, award.id.is_not(None)))
        )
        for public_id, status, want, to, should, reversed_, paid_to, paid, undone in rows:
            should = bool(should) and want > 0
            right = ((paid_to == to and paid == want) if should else paid_to is None) and bool(
                undone
            ) == (bool(reversed_) and should and side != WELCOME)
            if not right:
                yield Problem(
                    "referral_rewards",
                    f"{public_id}:{side}",
                    {
                        "status": status,
                        "points": want,
                        "entry_points": paid,
                        "to_member": paid_to == to if paid_to is not None else None,
                        "reversed": bool(reversed_),
                        "reversal_entry": bool(undone),
                    },
                )


def partner_signups() -> Iterable[Problem]:
    """Per partner: its counted sign-ups are its referrals, and never more than its cap."""
    counted = (
        select(Referral.partner_id, func.count(Referral.id).label("count"))
        .where(Referral.partner_id.is_not(None))
        .group_by(Referral.partner_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Partner.public_id,
            Partner.signups,
            Partner.signup_cap,
            func.coalesce(counted.c.count, 0),
        ).outerjoin(counted, counted.c.partner_id == Partner.id)
    )
    for public_id, signups, cap, referrals in rows:
        if signups != referrals or (cap is not None and signups > cap):
            yield Problem(
                "partner_signups",
                public_id,
                {"signups": signups, "referrals": referrals, "signup_cap": cap},
            )
