from marshmallow import fields, post_dump, validate

from app.purchases.models import CHANNELS, Purchase
from app.schemas import (
    BalanceSchema,
    PublicId,
    StrictSchema,
    computed,
    from_minor,
    money,
    money_amount,
)
from app.stores.models import Region, Store

POINTS_STATUSES = ("pending", "available", "none")


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


class AppliedOfferSchema(StrictSchema):
    """A claimed offer redeemed with the purchase (app.offers.service.AppliedOffer)."""

    id = fields.Str(attribute="offer.public_id")
    claim_id = fields.Str(attribute="claim.public_id")
    benefit = fields.Str(attribute="offer.benefit")
    discount_percent = fields.Int(attribute="offer.discount_percent", allow_none=True)
    points = fields.Int(attribute="extra_points")


def _points_status(recorded) -> str:
    if not recorded.purchase.points_earned:
        return "none"
    return "pending" if recorded.available_at else "available"


class PurchaseResultSchema(StrictSchema):
    """A recorded purchase (app.purchases.service.RecordedPurchase)."""

    id = fields.Str(attribute="purchase.public_id")
    member_id = fields.Str(attribute="member.public_id")
    store_id = PublicId(Store, attribute="purchase.store_id")
    amount = money(lambda r: r.purchase.amount_minor)
    currency = fields.Str(attribute="purchase.currency")
    channel = fields.Str(attribute="purchase.channel")
    receipt_id = fields.Str(attribute="purchase.receipt_id")
    points_earned = fields.Int(attribute="purchase.points_earned")
    base_points = fields.Int(attribute="earned.base")
    bonus_points = fields.Int(attribute="earned.bonus")
    bonus_rules = fields.List(fields.Str(), attribute="earned.rules")
    points_status = computed(_points_status, "string", metadata={"enum": list(POINTS_STATUSES)})
    available_at = fields.DateTime(allow_none=True)
    no_points_reason = fields.Str(attribute="purchase.no_points_reason", allow_none=True)
    offer = fields.Nested(AppliedOfferSchema, allow_none=True)
    balance = fields.Nested(BalanceSchema, attribute="member")


class RefundCreateSchema(StrictSchema):
    amount = money_amount(load_default=None, metadata={"description": "Omit for a full refund."})


class RefundSchema(StrictSchema):
    """A refund; `member` is given beside it for the balance."""

    id = fields.Str(attribute="public_id")
    purchase_id = PublicId(Purchase)
    amount = money(lambda r: r.amount_minor)
    points_reversed = fields.Int()
    points_uncollected = fields.Int()
    balance = fields.Nested(BalanceSchema, attribute="member")


class EarningRuleSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.Str(required=True, validate=validate.OneOf(("multiplier", "fixed")))
    multiplier = fields.Decimal(
        as_string=True, allow_none=True, validate=validate.Range(min=1, max=20)
    )
    fixed_points = fields.Int(allow_none=True, validate=validate.Range(min=1, max=100_000))
    store_id = PublicId(Store, allow_none=True)
    region_id = PublicId(Region, allow_none=True)
    channel = fields.Str(allow_none=True, validate=validate.OneOf(CHANNELS))
    min_amount = money_amount(allow_none=True)
    starts_at = fields.AwareDateTime(allow_none=True)
    ends_at = fields.AwareDateTime(allow_none=True)
    active = fields.Bool()

    @post_dump(pass_original=True)
    def _min_amount(self, data: dict, rule, **kwargs) -> dict:
        # Kept in minor units on the rule, sent as the decimal string it was given as.
        data["min_amount"] = from_minor(rule.min_amount_minor)
        return data
