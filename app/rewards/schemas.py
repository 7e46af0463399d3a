from marshmallow import fields, validate

from app.rewards.models import Reward
from app.schemas import BalanceSchema, PublicId, StrictSchema

TIER_CODE = validate.Length(min=1, max=20)


class RewardSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    description = fields.Str(validate=validate.Length(max=2000))
    cost_points = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=10**7))
    stock_remaining = fields.Int(allow_none=True, strict=True, validate=validate.Range(min=0))
    stock_total = fields.Int(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Every unit ever put in stock; null while unlimited."},
    )
    tiers = fields.List(fields.Str(validate=TIER_CODE))
    active = fields.Bool()


class CatalogItemSchema(RewardSchema):
    affordable = fields.Bool(dump_only=True)
    eligible = fields.Bool(dump_only=True)
    points_missing = fields.Int(dump_only=True)
    for_you = fields.Bool(
        dump_only=True,
        metadata={"description": "It matches the member's interests; such rewards come first."},
    )


class RedemptionSchema(StrictSchema):
    id = fields.Str(attribute="public_id")
    code = fields.Str()
    reward_id = PublicId(Reward)
    points_spent = fields.Int()
    status = fields.Str()
    created_at = fields.DateTime()
    confirmed_at = fields.DateTime(allow_none=True)
    balance = fields.Nested(
        BalanceSchema, metadata={"description": "After a redemption: the member's balance."}
    )
