"""Partners: their vanity codes, the sign-up window and cap, commissions per qualified member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError
from app.extensions import db
from app.lookup import by_public_id
from app.program.service import get_program
from app.schemas import to_minor
from referrals import rules
from referrals.codes.models import ReferralCode
from referrals.codes.service import invalid_code
from referrals.partners.models import Partner
from referrals.program.service import reward_ref
from referrals.referrals.models import Commission, Referral


def get_partner(public_id: str) -> Partner:
    return by_public_id(Partner, public_id, "partner")


def code_of(partner: Partner) -> str:
    return db.session.scalar(select(ReferralCode.code).where(ReferralCode.partner_id == partner.id))


def list_partners() -> list[Partner]:
    return list(db.session.scalars(select(Partner).order_by(Partner.id)))


def _check(partner: Partner) -> None:
    if partner.starts_at and partner.ends_at and partner.ends_at <= partner.starts_at:
        raise ApiError(
            422,
            "validation_error",
            "A partner's window must end after it starts.",
            {"fields": {"ends_at": ["before starts_at"]}},
        )
    if partner.welcome_points and partner.welcome_reward_id:
        raise ApiError(
            422,
            "validation_error",
            "The welcome is points or a reward of the catalog, not both.",
            {"fields": {"welcome_reward_id": ["give welcome_points 0 with a reward"]}},
        )
    kind = partner.commission_kind
    if (kind == "points" and partner.commission_points <= 0) or (
        kind == "money" and partner.commission_minor <= 0
    ):
        field = "commission_points" if kind == "points" else "commission_amount"
        raise ApiError(
            422,
            "validation_error",
            f"A {kind} commission needs its amount.",
            {"fields": {field: ["required with this commission_kind"]}},
        )
    if partner.signup_cap is not None and partner.signup_cap < partner.signups:
        raise ApiError(
            422,
            "validation_error",
            "The cap cannot be below the sign-ups already made.",
            {"fields": {"signup_cap": [f"at least {partner.signups}"]}},
        )


def _apply(partner: Partner, data: dict) -> None:
    if "welcome_reward_id" in data:
        data["welcome_reward_id"] = reward_ref(data["welcome_reward_id"], "welcome_reward_id")
    if "commission_amount" in data:
        amount = data.pop("commission_amount")
        partner.commission_minor = 0 if amount is None else to_minor(amount)
    for field, value in data.items():
        setattr(partner, field, value)
    partner.commission_points = partner.commission_points or 0
    partner.commission_minor = partner.commission_minor or 0
    if partner.commission_kind is None:
        partner.commission_points = partner.commission_minor = 0


def create_partner(data: dict) -> Partner:
    """A partner with its vanity code (normalised, one namespace with the members' codes)."""
    raw = data.pop("code")
    try:
        code = rules.normalise_code(raw)
    except rules.InvalidCode:
        raise ApiError(
            422,
            "validation_error",
            "A code is 4 to 20 letters and digits.",
            {"fields": {"code": ["4 to 20 letters and digits"]}},
        ) from None
    partner = Partner(signups=0)
    _apply(partner, data)
    _check(partner)
    db.session.add(partner)
    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.add(ReferralCode(code=code, partner_id=partner.id))
    except IntegrityError:
        raise ApiError(409, "partner_code_taken", f"The code {code} is taken.") from None
    return partner


def update_partner(partner: Partner, changes: dict) -> Partner:
    # The row lock: a change of the cap must see the sign-ups counted so far.
    partner = db.session.execute(
        select(Partner)
        .where(Partner.id == partner.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    _apply(partner, changes)
    _check(partner)
    db.session.flush()
    return partner


def open_for_signup(partner_id: int, now: datetime) -> Partner:
    """Count one more sign-up with the partner's code, or 422 when it is not open: inactive,
    outside its window, or at its cap (a conditional increment, so the cap holds however many
    sign-ups race; it rolls back with a sign-up that fails)."""
    partner = db.session.get(Partner, partner_id)
    if not partner.active:
        raise invalid_code("expired")
    if partner.starts_at is not None and now < partner.starts_at:
        raise invalid_code("not_started")
    if partner.ends_at is not None and now >= partner.ends_at:
        raise invalid_code("expired")
    counted = db.session.execute(
        update(Partner)
        .where(
            Partner.id == partner_id,
            or_(Partner.signup_cap.is_(None), Partner.signups < Partner.signup_cap),
        )
        .values(signups=Partner.signups + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:
        raise invalid_code("cap_reached")
    db.session.refresh(partner)
    return partner


def record_commission(referral: Referral) -> None:
    """The partner's commission for a member who qualified (nothing when it has none)."""
    partner = db.session.get(Partner, referral.partner_id)
    if partner.commission_kind is None:
        return
    db.session.add(
        Commission(
            partner_id=partner.id,
            referral_id=referral.id,
            kind=partner.commission_kind,
            points=partner.commission_points if partner.commission_kind == "points" else 0,
            amount_minor=partner.commission_minor if partner.commission_kind == "money" else 0,
            currency=get_program().currency,
        )
    )


def void_commission(referral: Referral, now: datetime) -> None:
    db.session.execute(
        update(Commission)
        .where(Commission.referral_id == referral.id, Commission.voided_at.is_(None))
        .values(voided_at=now)
        .execution_options(synchronize_session=False)
    )
