"""The segment criterion `partner_codes`: members who joined with one of these partners' codes
(a campaign to a creator's audience)."""

from __future__ import annotations

from marshmallow import fields, validate
from sqlalchemy import ColumnElement, exists

from app.members.models import Member
from referrals import rules
from referrals.codes.models import ReferralCode
from referrals.referrals.models import Referral

FIELD = fields.List(
    fields.Str(validate=validate.Length(min=1, max=40)), validate=validate.Length(min=1, max=50)
)


def joined_with(codes: list[str], _rules: dict) -> ColumnElement[bool]:
    wanted = []
    for raw in codes:
        try:
            wanted.append(rules.normalise_code(raw))
        except rules.InvalidCode:
            continue  # matches no member: a code that cannot exist
    return exists().where(
        Referral.friend_member_id == Member.id,
        Referral.code_id == ReferralCode.id,
        ReferralCode.partner_id.is_not(None),
        ReferralCode.code.in_(wanted),
    )
