"""Referrals as a member and as an operator see them."""

from __future__ import annotations

from marshmallow import fields, validate

from app.extensions import db
from app.members.models import Member
from app.rewards.models import Reward
from app.schemas import CursorArgs, PublicId, StrictSchema, computed, from_minor
from referrals import rules
from referrals.codes.models import ReferralCode
from referrals.partners.models import Partner

STATUS_DESCRIPTION = (
    "`joined` (signed up), `qualified` (first purchase made; rewards pending for the hold), "
    "`rewarded`, `flagged` (held for an operator's review) or `rejected`."
)


class FriendReferralSchema(StrictSchema):
    """One friend the member brought: first name only."""

    id = fields.Str(attribute="public_id", required=True)
    friend_name = fields.Str(required=True, metadata={"description": "The first name only."})
    status = fields.Str(
        required=True,
        validate=validate.OneOf(rules.STATUSES),
        metadata={"description": STATUS_DESCRIPTION},
    )
    joined_at = fields.DateTime(attribute="created_at", required=True)
    qualified_at = fields.DateTime(required=True, allow_none=True)
    rewarded_at = fields.DateTime(required=True, allow_none=True)
    points = fields.Int(
        attribute="referrer_points",
        required=True,
        metadata={
            "description": "The member's points for this friend: 0 until the friend's first "
            "purchase qualifies, then pending until `rewarded`."
        },
    )
    reward_id = PublicId(
        Reward,
        attribute="referrer_reward_id",
        required=True,
        allow_none=True,
        metadata={"description": "A reward of the catalog given instead of points."},
    )


class ReferralAdminSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    code = computed(lambda r: db.session.get(ReferralCode, r.code_id).code, "string", required=True)
    referrer_id = PublicId(Member, attribute="referrer_member_id", required=True, allow_none=True)
    partner_id = PublicId(Partner, required=True, allow_none=True)
    friend_id = PublicId(Member, attribute="friend_member_id", required=True)
    status = fields.Str(required=True, metadata={"description": STATUS_DESCRIPTION})
    reason = fields.Str(
        required=True,
        allow_none=True,
        metadata={
            "description": "Why it is flagged or rejected: `self_referral_card`, "
            "`shared_device`, `shared_wallet_device`, `existing_member`, "
            "`referrer_cap_reached`, `referrer_ended`, `purchase_refunded`, `member_erased`, "
            "`operator`."
        },
    )
    review_note = fields.Str(required=True, allow_none=True)
    purchase_id = fields.Str(attribute="purchase_public_id", required=True, allow_none=True)
    purchase_amount = computed(
        lambda r: None if r.purchase_amount_minor is None else from_minor(r.purchase_amount_minor),
        "string",
        required=True,
        allow_none=True,
        metadata={"format": "decimal"},
    )
    hold_until = fields.DateTime(required=True, allow_none=True)
    qualified_at = fields.DateTime(required=True, allow_none=True)
    rewarded_at = fields.DateTime(required=True, allow_none=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
    reversed_at = fields.DateTime(required=True, allow_none=True)
    friend_points = fields.Int(required=True)
    referrer_points = fields.Int(required=True)
    friend_reward_id = PublicId(Reward, required=True, allow_none=True)
    referrer_reward_id = PublicId(Reward, required=True, allow_none=True)
    welcome_points = fields.Int(required=True)
    reviewed_by = fields.Str(required=True, allow_none=True)
    reviewed_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class ReferralPageSchema(StrictSchema):
    referrals = fields.List(fields.Nested(ReferralAdminSchema), required=True)
    next_cursor = fields.Str(required=True, allow_none=True)


class ReferralListArgs(CursorArgs):
    status = fields.Str(load_default=None, validate=validate.OneOf(rules.STATUSES))


class ApproveSchema(StrictSchema):
    note = fields.Str(load_default=None, validate=validate.Length(min=1, max=200))


class RejectSchema(StrictSchema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=200))
