"""A referral's life, on the core's events: joined at sign-up, judged on the friend's first
purchase of at least the minimum, rewarded once the hold has passed, reversed by a refund in
the hold.

Lock order (every path): the friend's member row (the ledger's lock, which a purchase or a
refund of the friend already holds), then the referrer's code row, then the referrer's member
row (the referrer's award). Referrers are older members than their friends, so no cycle.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update

from app import events
from app.errors import ApiError
from app.extensions import db
from app.ledger.service import lock_member
from app.members import facts
from app.members.models import Member
from app.models_base import utcnow
from app.purchases.models import Purchase
from referrals import rules, signals
from referrals.codes import service as codes
from referrals.events import REFERRAL_JOINED, REFERRAL_REWARDED
from referrals.partners import service as partners
from referrals.program.models import ReferralSettings
from referrals.program.service import get_settings, hold
from referrals.referrals import rewarding
from referrals.referrals.models import Referral
from referrals.state import enabled

SELF_REFERRAL = ApiError(422, "self_referral", "This is your own referral code.")
COUNTED = (rules.QUALIFIED, rules.REWARDED)


# -- joining -------------------------------------------------------------------------------


def on_member_joined(payload: dict[str, Any]) -> None:
    """Every new member's email key, for the rule that an existing member is not referred."""
    if not enabled():
        return
    member = db.session.get(Member, payload["member_id"])  # in the session: no query
    codes.record_email_key(member.id, member.user.email)


def join(member: Member, raw_code: str) -> Referral:
    """The sign-up's `referral_code`, in the sign-up's transaction: a 422 undoes the sign-up."""
    code = codes.find(raw_code)
    now = utcnow()
    partner = None
    if code.member_id is not None:
        referrer = db.session.get(Member, code.member_id)
        if referrer.ended_at is not None:
            raise codes.invalid_code("unknown")
        if rules.email_key(referrer.user.email) == rules.email_key(member.user.email):
            raise SELF_REFERRAL
        referral = Referral(
            code_id=code.id,
            referrer_member_id=referrer.id,
            friend_member_id=member.id,
            status=rules.JOINED,
            referrer_signals=signals.of_member(referrer.id),
        )
    else:
        partner = partners.open_for_signup(code.partner_id, now)
        referral = Referral(
            code_id=code.id, partner_id=partner.id, friend_member_id=member.id, status=rules.JOINED
        )
    db.session.add(referral)
    db.session.flush()
    if partner is not None:
        rewarding.welcome(referral, partner)
    else:
        events.publish(
            db.session,
            REFERRAL_JOINED,
            {"member_id": referral.referrer_member_id, "referral_id": referral.public_id},
        )
    return referral


# -- qualifying ------------------------------------------------------------------------------


# The member fact read with a purchase's lock (app.members.facts): whether the member is a
# friend whose referral still waits for a first purchase.
OPEN_REFERRAL_FACT = "open_referral"


def has_open_referral():
    return exists().where(Referral.friend_member_id == Member.id, Referral.status == rules.JOINED)


def on_purchase_recorded(payload: dict[str, Any]) -> None:
    """Cheap for everyone but a friend with an open referral: nothing when the purchase's
    member lock read that there is none (the referral is made with the member, so that fact is
    never wrong that way), else one lookup on a unique index. The purchase holds the friend's
    member lock, so two tills' first purchases take turns and the second finds the referral no
    longer open."""
    if not enabled():
        return
    if facts.known_false(payload["member_id"], OPEN_REFERRAL_FACT):
        return
    referral = db.session.scalar(
        select(Referral).where(
            Referral.friend_member_id == payload["member_id"], Referral.status == rules.JOINED
        )
    )
    if referral is None:
        return
    settings = get_settings()
    if not rules.qualifies(payload["amount_minor"], settings.min_purchase_minor):
        return
    qualify(referral, settings, payload["purchase_id"], payload["amount_minor"], utcnow())


def _fix_rewards(referral: Referral, settings: ReferralSettings) -> None:
    """The rewards as the settings say now; a partner's friends get its welcome instead."""
    if referral.referrer_member_id is None:
        return
    referral.friend_points = settings.friend_points
    referral.friend_reward_id = settings.friend_reward_id
    referral.referrer_points = settings.referrer_points
    referral.referrer_reward_id = settings.referrer_reward_id


def rewarded_in_period(referrer_id: int, settings: ReferralSettings, now: datetime) -> int:
    since = now - timedelta(days=settings.cap_period_days)
    return db.session.scalar(
        select(func.count(Referral.id)).where(
            Referral.referrer_member_id == referrer_id,
            Referral.qualified_at >= since,
            Referral.status.in_(COUNTED),
        )
    )


def _verdict(referral: Referral, settings: ReferralSettings, now: datetime) -> rules.Verdict:
    friend = db.session.get(Member, referral.friend_member_id)
    existing = codes.same_email_as_another(friend.id, friend.user.email)
    if referral.referrer_member_id is None:
        return rules.judge(friend_signals=(), referrer_signals=None, existing_member=existing)
    # The referrer's qualifications take turns here, so the cap counts each one once.
    codes.lock_code(referral.code_id)
    referrer = db.session.get(Member, referral.referrer_member_id)
    return rules.judge(
        friend_signals=signals.of_member(friend.id),
        referrer_signals=[*(referral.referrer_signals or ()), *signals.of_member(referrer.id)],
        existing_member=existing,
        referrer_active=referrer.ended_at is None,
        rewarded_in_period=rewarded_in_period(referrer.id, settings, now),
        cap=settings.referrer_cap,
    )


def _move(referral: Referral, old: tuple[str, ...], **values: Any) -> bool:
    """A status change only from one of `old`: exactly one racer wins."""
    db.session.flush()
    moved = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status.in_(old))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    db.session.refresh(referral)
    return True


def qualify(
    referral: Referral,
    settings: ReferralSettings,
    purchase_public_id: str,
    amount_minor: int,
    now: datetime,
) -> Referral:
    """Judge the referral on its qualifying purchase (the friend's ledger locked by the caller):
    qualified (both sides' points credited, pending for the hold), flagged or rejected."""
    verdict = _verdict(referral, settings, now)
    values: dict[str, Any] = {
        "status": verdict.status,
        "reason": verdict.reason,
        "purchase_public_id": purchase_public_id,
        "purchase_amount_minor": amount_minor,
        "min_purchase_minor": settings.min_purchase_minor,
        "hold_until": now + hold(settings),
    }
    if verdict.status == rules.QUALIFIED:
        values["qualified_at"] = now
    if verdict.status == rules.REJECTED:
        values["closed_at"] = now
    if not _move(referral, (rules.JOINED,), **values):
        return referral
    if verdict.status != rules.REJECTED:
        _fix_rewards(referral, settings)
    if verdict.status == rules.QUALIFIED:
        grant(referral, now)
    return referral


def grant(referral: Referral, now: datetime) -> None:
    """What a qualified referral gives: points pending for the hold (or the partner's
    commission); past the hold, at once, with the catalog rewards and the push."""
    if referral.partner_id is not None:
        partners.record_commission(referral)
    rewarding.credit(referral)
    if referral.hold_until <= now:
        settle(referral, now)


# -- the hold ----------------------------------------------------------------------------


def settle(referral: Referral, now: datetime) -> bool:
    """Qualified -> rewarded once the hold has passed: the catalog rewards and the push."""
    if not _move(referral, (rules.QUALIFIED,), status=rules.REWARDED, rewarded_at=now):
        return False
    rewarding.grant_catalog(referral)
    if referral.referrer_member_id is not None:
        events.publish(
            db.session,
            REFERRAL_REWARDED,
            {
                "member_id": referral.referrer_member_id,
                "referral_id": referral.public_id,
                "points": referral.referrer_points,
            },
        )
    return True


def settle_due(now: datetime | None = None, batch: int = 200) -> int:
    """Every qualified referral whose hold has passed, one transaction each; returns how many."""
    now = now or utcnow()
    done = 0
    while True:
        due = list(
            db.session.execute(
                select(Referral.id, Referral.friend_member_id)
                .where(Referral.status == rules.QUALIFIED, Referral.hold_until <= now)
                .order_by(Referral.id)
                .limit(batch)
            )
        )
        if not due:
            return done
        for referral_id, friend_id in due:
            # The friend's lock: a refund of the qualifying purchase at this moment waits.
            lock_member(friend_id)
            referral = db.session.get(Referral, referral_id, populate_existing=True)
            done += settle(referral, now)
            db.session.commit()


# -- refunds -----------------------------------------------------------------------------


def on_purchase_refunded(payload: dict[str, Any]) -> None:
    """A refund that leaves the qualifying purchase below the minimum within the hold takes
    both sides' rewards back and rejects the referral. One indexed lookup per refund."""
    if not enabled():
        return
    referral = db.session.scalar(
        select(Referral).where(
            Referral.purchase_public_id == payload["purchase_id"],
            Referral.status.in_((rules.QUALIFIED, rules.FLAGGED)),
        )
    )
    if referral is None:
        return
    now = utcnow()
    if referral.hold_until is not None and referral.hold_until <= now:
        return  # the hold has passed: the rewards are the members' now
    purchase = db.session.scalar(
        select(Purchase).where(Purchase.public_id == payload["purchase_id"])
    )
    if rules.still_qualifies(
        purchase.amount_minor, purchase.refunded_minor, referral.min_purchase_minor or 0
    ):
        return
    was = referral.status
    values = {"status": rules.REJECTED, "reason": rules.PURCHASE_REFUNDED, "closed_at": now}
    if was == rules.QUALIFIED:
        values["reversed_at"] = now
    if not _move(referral, (was,), **values):
        return
    if was == rules.QUALIFIED:
        rewarding.reverse(referral)
        if referral.partner_id is not None:
            partners.void_commission(referral, now)


# -- reading -------------------------------------------------------------------------------


def referrals_of(member: Member, limit: int = 200) -> list[tuple[Referral, str]]:
    """The member's friends, newest first, with each friend's first name."""
    rows = db.session.execute(
        select(Referral, Member.name)
        .join(Member, Member.id == Referral.friend_member_id)
        .where(Referral.referrer_member_id == member.id)
        .order_by(Referral.id.desc())
        .limit(limit)
    )
    return [(referral, first_name(name)) for referral, name in rows]


def first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else ""
