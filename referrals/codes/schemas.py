"""The member's code and share link, and what bringing a friend gives."""

from __future__ import annotations

from marshmallow import fields

from app.rewards.models import Reward
from app.schemas import PublicId, StrictSchema, computed, from_minor


class SideRewardSchema(StrictSchema):
    points = fields.Int(required=True)
    reward_id = PublicId(
        Reward,
        required=True,
        allow_none=True,
        metadata={"description": "A reward of the catalog instead of points, or null."},
    )


class ReferralRewardsSchema(StrictSchema):
    """What a friend's first purchase gives each side, per the program's settings now."""

    you = fields.Nested(SideRewardSchema, required=True)
    friend = fields.Nested(SideRewardSchema, required=True)
    min_purchase = computed(
        lambda r: from_minor(r.min_purchase_minor),
        "string",
        required=True,
        metadata={
            "format": "decimal",
            "description": "The friend's first purchase must be at least this much.",
        },
    )
    hold_days = fields.Int(
        required=True,
        metadata={"description": "Days the rewards stay pending after that purchase."},
    )


class MyReferralSchema(StrictSchema):
    code = fields.Str(required=True)
    share_url = fields.Str(
        required=True,
        metadata={"description": "A web link: the app opens it when installed, else a page."},
    )
    deep_link = fields.Str(required=True, metadata={"description": "The app's own link."})
    rewards = fields.Nested(ReferralRewardsSchema, required=True)
