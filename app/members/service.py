from __future__ import annotations

from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import events
from app.auth.models import User
from app.consents import service as consents
from app.errors import ApiError, not_found
from app.extensions import db
from app.members import cardnumber
from app.members.models import Member
from app.models_base import utcnow
from app.stores.models import Store
from app.tiers.service import entry_tier

_TIMEZONES = frozenset(available_timezones())
PROFILE_FIELDS = ("name", "language", "timezone")


def valid_timezone(name: str) -> bool:
    return name in _TIMEZONES


def create_member(
    user: User,
    name: str,
    language: str,
    timezone: str,
    consent: bool,
    *,
    email_consent: bool = False,
    terms_version: str | None = None,
) -> Member:
    """A new member starts in the entry tier with a fresh card number; the consent record
    starts with the terms and data processing agreed to and the marketing answers given."""
    for _ in range(5):
        member = Member(
            user=user,
            name=name,
            language=language,
            timezone=timezone,
            card_number=cardnumber.generate(),
            tier=entry_tier(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(member)
            break
        except IntegrityError:  # pragma: no cover - a 1 in 10^13 card number collision
            continue
    consents.record_signup(
        member, marketing_push=consent, email=email_consent, terms_version=terms_version
    )
    events.publish(
        db.session,
        events.MEMBER_JOINED,
        {
            "member_id": member.id,
            "member_public_id": member.public_id,
            "language": language,
            "timezone": timezone,
        },
    )
    return member


def member_for_user(user_id: int) -> Member:
    member = db.session.scalar(select(Member).where(Member.user_id == user_id))
    if member is None:
        raise ApiError(403, "not_a_member", "This account has no loyalty membership.")
    return member


def member_by_card(raw: str) -> Member:
    try:
        number = cardnumber.normalize(raw)
    except cardnumber.InvalidCardNumber as exc:
        raise ApiError(422, "invalid_card_number", str(exc).capitalize() + ".") from exc
    member = db.session.scalar(select(Member).where(Member.card_number == number))
    if member is None:
        raise not_found("member")
    ensure_active(member)
    return member


def ensure_active(member: Member) -> None:
    if member.ended_at is not None:
        raise ApiError(409, "membership_ended", "This membership has ended.")


def member_by_public_id(public_id: str) -> Member:
    member = db.session.scalar(select(Member).where(Member.public_id == public_id))
    if member is None:
        raise not_found("member")
    return member


def update_profile(member: Member, changes: dict) -> Member:
    if "timezone" in changes and not valid_timezone(changes["timezone"]):
        raise ApiError(
            422, "validation_error", "Unknown timezone.", {"fields": {"timezone": ["unknown"]}}
        )
    for field in PROFILE_FIELDS:
        if field in changes:
            setattr(member, field, changes[field])
    if "marketing_consent" in changes:
        consents.set_marketing(member, changes["marketing_consent"])
    if "home_store_id" in changes:
        store = db.session.scalar(select(Store).where(Store.public_id == changes["home_store_id"]))
        if store is None:
            raise ApiError(
                422,
                "validation_error",
                "Unknown store.",
                {"fields": {"home_store_id": ["unknown"]}},
            )
        member.home_store_id = store.id
    db.session.commit()
    return member


def end_membership(member: Member, reason: str) -> Member:
    """The card stops working and access ends with it, in one transaction: every session is
    revoked (the token check also refuses an ended membership), open till codes and offer
    claims are voided; its wallet passes are voided by the passes package."""
    close_membership(member, reason)
    db.session.commit()
    return member


def close_membership(member: Member, reason: str) -> None:
    """What `end_membership` does, without the commit: an erasure ends the membership in the
    transaction that records the erasure."""
    # Imported here: rewards and offers ask this module whether a member is active.
    from app.auth.sessions import revoke_all
    from app.offers.service import void_open_claims
    from app.rewards.service import void_open_codes

    if member.ended_at is not None:
        return
    member.ended_at = utcnow()
    revoke_all(member.user_id, "membership_ended")
    void_open_codes(member.id)
    void_open_claims(member.id)
    events.publish(
        db.session,
        events.MEMBER_ENDED,
        {"member_id": member.id, "member_public_id": member.public_id, "reason": reason},
    )
