"""Referrals' parts of the members' data (app.privacy) and of the audit trail (app.audit).

- Export: the member's own code (`referral_codes`) and every referral the member is in, as
  the referrer or as the friend (`referrals`); no other member's name is in it.
- Erasure: the member's email key goes, their code stops working, the device hashes kept on
  their referrals are dropped, and a referral still open for them is rejected. The referral
  rows stay (pseudonymous): the ledger's referral entries still have their cause.
- Audit: operators' approvals and rejections, partners created and changed, the settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask
from marshmallow import fields
from sqlalchemy import delete, or_, select, update

from app import audit
from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow
from app.privacy.erasure import register_erasure_part
from app.privacy.export import register_export_part
from app.privacy.models import Erasure
from app.schemas import StrictSchema
from referrals import rules
from referrals.codes.models import EmailKey, ReferralCode
from referrals.partners.models import Partner
from referrals.partners.schemas import PartnerSchema
from referrals.program.models import ReferralSettings
from referrals.program.schemas import ReferralSettingsSchema
from referrals.referrals.models import Referral
from referrals.referrals.schemas import ReferralAdminSchema

YIELD_PER = 500


class ReferralCodeExportSchema(StrictSchema):
    code = fields.Str(required=True)
    created_at = fields.DateTime(required=True)
    disabled_at = fields.DateTime(required=True, allow_none=True)


class ReferralExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    role = fields.Str(
        required=True,
        metadata={
            "description": "`referrer` (the member brought a friend) or "
            "`friend` (the member joined with a code)."
        },
    )
    code = fields.Str(required=True)
    status = fields.Str(required=True)
    reason = fields.Str(required=True, allow_none=True)
    joined_at = fields.DateTime(attribute="created_at", required=True)
    qualified_at = fields.DateTime(required=True, allow_none=True)
    rewarded_at = fields.DateTime(required=True, allow_none=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
    points = fields.Int(required=True, metadata={"description": "This member's points from it."})


class _Row:
    """A referral as one of its members sees it in the export."""

    def __init__(self, referral: Referral, code: str, member_id: int) -> None:
        self.__dict__.update(
            {c.key: getattr(referral, c.key) for c in Referral.__mapper__.column_attrs}
        )
        self.code = code
        friend = referral.friend_member_id == member_id
        self.role = "friend" if friend else "referrer"
        self.points = (
            referral.friend_points + referral.welcome_points if friend else referral.referrer_points
        )


def _codes(member: Member) -> Iterator[ReferralCode]:
    return iter(db.session.scalars(select(ReferralCode).where(ReferralCode.member_id == member.id)))


def _referrals(member: Member) -> Iterator[Any]:
    rows = db.session.execute(
        select(Referral, ReferralCode.code)
        .join(ReferralCode, ReferralCode.id == Referral.code_id)
        .where(
            or_(Referral.friend_member_id == member.id, Referral.referrer_member_id == member.id)
        )
        .order_by(Referral.id)
        .execution_options(yield_per=YIELD_PER)
    )
    return (_Row(referral, code, member.id) for referral, code in rows)


def _erase(member: Member, erasure: Erasure) -> None:
    now = utcnow()
    db.session.execute(delete(EmailKey).where(EmailKey.member_id == member.id))
    db.session.execute(
        update(ReferralCode)
        .where(ReferralCode.member_id == member.id, ReferralCode.disabled_at.is_(None))
        .values(disabled_at=now)
    )
    db.session.execute(
        update(Referral)
        .where(
            or_(Referral.friend_member_id == member.id, Referral.referrer_member_id == member.id)
        )
        .values(referrer_signals=None)
    )
    db.session.execute(
        update(Referral)
        .where(
            Referral.friend_member_id == member.id,
            Referral.status.in_((rules.JOINED, rules.FLAGGED)),
        )
        .values(status=rules.REJECTED, reason=rules.MEMBER_ERASED, closed_at=now)
    )


def register(app: Flask) -> None:
    register_export_part(
        app,
        "referral_codes",
        ReferralCodeExportSchema,
        _codes,
        description="The member's own referral code (none until first asked for).",
    )
    register_export_part(
        app,
        "referrals",
        ReferralExportSchema,
        _referrals,
        description="Referrals the member is in: friends brought, or the code joined with.",
    )
    register_erasure_part(app, "referrals", _erase)


# -- the audit trail: operators' actions on referrals, in the transaction that makes them --


def record_review(action: str, referral: Referral) -> None:
    """`referral.approve` / `referral.reject`, with the referral before and after."""
    audit.record(action, referral, schema=ReferralAdminSchema)


def record_partner(action: str, partner: Partner, *, created: bool = False) -> None:
    audit.record(action, partner, schema=PartnerSchema, created=created)


def record_settings(settings: ReferralSettings) -> None:
    audit.record(
        "referral.settings",
        settings,
        schema=ReferralSettingsSchema,
        target_type="referral_settings",
    )
