"""The referral program's settings over HTTP."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from app.rewards.models import Reward
from app.schemas import MAX_AMOUNT, PublicId, StrictSchema, money

POINTS = validate.Range(min=0, max=100_000)


class ReferralSettingsSchema(StrictSchema):
    friend_points = fields.Int(required=True)
    friend_reward_id = PublicId(Reward, required=True, allow_none=True)
    referrer_points = fields.Int(required=True)
    referrer_reward_id = PublicId(Reward, required=True, allow_none=True)
    min_purchase = money(lambda s: s.min_purchase_minor, required=True)
    referrer_cap = fields.Int(
        required=True,
        allow_none=True,
        metadata={"description": "Rewards a referrer earns per period at most; null: no cap."},
    )
    cap_period_days = fields.Int(required=True)
    hold_days = fields.Int(
        required=True,
        allow_none=True,
        metadata={"description": "Null: the program's return window."},
    )
    updated_at = fields.DateTime(required=True)


class ReferralSettingsPatchSchema(StrictSchema):
    """Per side, points or a reward of the catalog (set the points to 0 with a reward)."""

    friend_points = fields.Int(strict=True, validate=POINTS)
    friend_reward_id = fields.Str(allow_none=True, validate=validate.Length(max=32))
    referrer_points = fields.Int(strict=True, validate=POINTS)
    referrer_reward_id = fields.Str(allow_none=True, validate=validate.Length(max=32))
    min_purchase = fields.Decimal(
        as_string=True,
        allow_nan=False,
        places=2,
        validate=validate.Range(min=Decimal("0.00"), max=MAX_AMOUNT),
    )
    referrer_cap = fields.Int(allow_none=True, strict=True, validate=validate.Range(min=1))
    cap_period_days = fields.Int(strict=True, validate=validate.Range(min=1, max=3650))
    hold_days = fields.Int(allow_none=True, strict=True, validate=validate.Range(min=0, max=365))
