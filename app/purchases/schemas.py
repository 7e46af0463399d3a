from marshmallow import fields, validate

from app.purchases.models import CHANNELS
from app.schemas import StrictSchema, money_amount


class PurchaseCreateSchema(StrictSchema):
    card_number = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    amount = money_amount(required=True)
    currency = fields.Str(required=True, validate=validate.Length(equal=3))
    channel = fields.Str(required=True, validate=validate.OneOf(CHANNELS))
    receipt_id = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    occurred_at = fields.AwareDateTime(load_default=None)
    offer_code = fields.Str(
        load_default=None,
        validate=validate.Length(min=4, max=20),
        metadata={"description": "A claimed offer the member shows at the till."},
    )


class PurchaseResultSchema(StrictSchema):
    id = fields.Str()
    member_id = fields.Str()
    store_id = fields.Str()
    amount = fields.Str()
    currency = fields.Str()
    channel = fields.Str()
    receipt_id = fields.Str()
    points_earned = fields.Int()
    base_points = fields.Int()
    bonus_points = fields.Int()
    bonus_rules = fields.List(fields.Str())
    points_status = fields.Str(metadata={"description": "pending, available or none"})
    available_at = fields.DateTime(allow_none=True)
    no_points_reason = fields.Str(allow_none=True)
    offer = fields.Dict(allow_none=True)
    balance = fields.Dict()


class RefundCreateSchema(StrictSchema):
    amount = money_amount(load_default=None, metadata={"description": "Omit for a full refund."})


class RefundSchema(StrictSchema):
    id = fields.Str()
    purchase_id = fields.Str()
    amount = fields.Str()
    points_reversed = fields.Int()
    points_uncollected = fields.Int()
    balance = fields.Dict()


class EarningRuleSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.Str(required=True, validate=validate.OneOf(("multiplier", "fixed")))
    multiplier = fields.Decimal(
        as_string=True, allow_none=True, validate=validate.Range(min=1, max=20)
    )
    fixed_points = fields.Int(allow_none=True, validate=validate.Range(min=1, max=100_000))
    store_id = fields.Str(allow_none=True)
    region_id = fields.Str(allow_none=True)
    channel = fields.Str(allow_none=True, validate=validate.OneOf(CHANNELS))
    min_amount = money_amount(allow_none=True)
    starts_at = fields.AwareDateTime(allow_none=True)
    ends_at = fields.AwareDateTime(allow_none=True)
    active = fields.Bool()
