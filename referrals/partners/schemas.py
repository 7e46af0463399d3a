"""Partners as operators create, change and read them, and their funnel report."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from app.rewards.models import Reward
from app.schemas import MAX_AMOUNT, PublicId, StrictSchema, computed, from_minor, money
from referrals.partners.models import COMMISSION_KINDS
from referrals.partners.service import code_of

CODE_DESCRIPTION = (
    "The vanity code (`ANNA10`): 4 to 20 letters and digits; spaces and hyphens are dropped "
    "and case is folded, so ` anna 10 ` is `ANNA10`. Members' codes share the namespace."
)


class PartnerChangesSchema(StrictSchema):
    """What an operator may change (PATCH); the code is fixed once shared."""

    name = fields.Str(validate=validate.Length(min=1, max=120))
    starts_at = fields.AwareDateTime(allow_none=True)
    ends_at = fields.AwareDateTime(allow_none=True)
    active = fields.Bool()
    welcome_points = fields.Int(strict=True, validate=validate.Range(min=0, max=100_000))
    welcome_reward_id = PublicId(Reward, allow_none=True)
    signup_cap = fields.Int(allow_none=True, strict=True, validate=validate.Range(min=1))
    commission_kind = fields.Str(allow_none=True, validate=validate.OneOf(COMMISSION_KINDS))
    commission_points = fields.Int(strict=True, validate=validate.Range(min=0, max=100_000))
    commission_amount = fields.Decimal(
        as_string=True,
        allow_nan=False,
        places=2,
        validate=validate.Range(min=Decimal("0.00"), max=MAX_AMOUNT),
        metadata={"description": "Money per qualified member, in the program's currency."},
    )


class PartnerCreateSchema(PartnerChangesSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    code = fields.Str(required=True, validate=validate.Length(min=1, max=40))


class PartnerSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    name = fields.Str(required=True)
    code = computed(code_of, "string", required=True, metadata={"description": CODE_DESCRIPTION})
    starts_at = fields.DateTime(required=True, allow_none=True)
    ends_at = fields.DateTime(required=True, allow_none=True)
    active = fields.Bool(required=True)
    welcome_points = fields.Int(required=True)
    welcome_reward_id = PublicId(Reward, required=True, allow_none=True)
    signup_cap = fields.Int(required=True, allow_none=True)
    signups = fields.Int(required=True)
    commission_kind = fields.Str(required=True, allow_none=True)
    commission_points = fields.Int(required=True)
    commission_amount = money(lambda p: p.commission_minor, required=True)
    created_at = fields.DateTime(required=True)


class RetentionSchema(StrictSchema):
    days = fields.Int(required=True)
    eligible = fields.Int(
        required=True, metadata={"description": "Members who joined at least `days` ago."}
    )
    active = fields.Int(
        required=True,
        metadata={
            "description": "Of those, members with a purchase `days` or more after "
            "joining and their membership not ended."
        },
    )


class PartnerReportSchema(StrictSchema):
    partner_id = fields.Str(required=True)
    code = fields.Str(required=True)
    signups = fields.Int(required=True)
    first_purchases = fields.Int(
        required=True, metadata={"description": "Members who made at least one purchase."}
    )
    qualified = fields.Int(
        required=True, metadata={"description": "Members whose purchase reached the minimum."}
    )
    retention = fields.List(fields.Nested(RetentionSchema), required=True)
    spend = computed(
        lambda r: from_minor(r.spend_minor),
        "string",
        required=True,
        metadata={"format": "decimal", "description": "Their purchases less refunds."},
    )
    points_cost = fields.Int(
        required=True, metadata={"description": "Points given through the code, net."}
    )
    rewards_granted = fields.Int(required=True)
    commissions = fields.Int(required=True)
    commission_points = fields.Int(required=True)
    commission_amount = computed(
        lambda r: from_minor(r.commission_minor),
        "string",
        required=True,
        metadata={"format": "decimal"},
    )
    currency = fields.Str(required=True)


class ReportArgs(StrictSchema):
    format = fields.Str(load_default="json", validate=validate.OneOf(("json", "csv")))
