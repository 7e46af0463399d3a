"""The export's core sections and the erasure's answers."""

from marshmallow import fields, validate

from app.holdout.rules import SUBJECT_KINDS
from app.holdout.service import subject_public_id
from app.members.cardnumber import formatted
from app.members.models import Member
from app.offers.models import Offer
from app.purchases.models import Purchase
from app.rewards.models import Reward
from app.schemas import PublicId, StrictSchema, computed, money
from app.stores.models import Store


class ProfileExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    email = fields.Str(required=True)
    name = fields.Str(required=True)
    language = fields.Str(required=True)
    timezone = fields.Str(required=True)
    home_store_id = PublicId(Store, required=True, allow_none=True)
    joined_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(required=True, allow_none=True)


class CardExportSchema(StrictSchema):
    card_number = fields.Function(lambda m: formatted(m.card_number), required=True)
    barcode_value = fields.Str(attribute="card_number", required=True)
    tier = fields.Str(attribute="tier.code", required=True)
    tier_since = fields.DateTime(required=True)
    points_available = fields.Int(required=True)
    points_pending = fields.Int(required=True)


class LedgerEntryExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    kind = fields.Str(required=True)
    available_delta = fields.Int(required=True)
    pending_delta = fields.Int(required=True)
    qualifying = fields.Int(required=True)
    reason = fields.Str(required=True)
    reference_type = fields.Str(required=True)
    reference_id = fields.Str(required=True)
    created_at = fields.DateTime(required=True)


class PurchaseExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    store_id = PublicId(Store, required=True)
    channel = fields.Str(required=True)
    receipt_id = fields.Str(required=True)
    amount = money(lambda p: p.amount_minor, required=True)
    refunded = money(lambda p: p.refunded_minor, required=True)
    currency = fields.Str(required=True)
    occurred_at = fields.DateTime(required=True)
    points_earned = fields.Int(required=True)
    points_reversed = fields.Int(required=True)
    no_points_reason = fields.Str(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class RefundExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    purchase_id = PublicId(Purchase, required=True)
    amount = money(lambda r: r.amount_minor, required=True)
    points_reversed = fields.Int(required=True)
    points_uncollected = fields.Int(required=True)
    created_at = fields.DateTime(required=True)


class RedemptionExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    reward_id = PublicId(Reward, required=True)
    points_spent = fields.Int(required=True)
    code = fields.Str(required=True)
    status = fields.Str(required=True)
    reason = fields.Str(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    confirmed_at = fields.DateTime(required=True, allow_none=True)
    confirmed_store_id = PublicId(Store, required=True, allow_none=True)


class OfferClaimExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    offer_id = PublicId(Offer, required=True)
    code = fields.Str(required=True)
    status = fields.Str(required=True)
    claimed_at = fields.DateTime(required=True)
    redeemed_at = fields.DateTime(required=True, allow_none=True)
    purchase_id = PublicId(Purchase, required=True, allow_none=True)


class HoldoutGroupExportSchema(StrictSchema):
    """The group the member was drawn into for a campaign's or an offer's measurement: held out
    (not sent, not offered) or treated."""

    subject_kind = fields.Str(required=True, validate=validate.OneOf(SUBJECT_KINDS))
    subject_id = computed(subject_public_id, "string", required=True, allow_none=True)
    held_out = fields.Bool(required=True)
    assigned_at = fields.DateTime(required=True)


class SessionExportSchema(StrictSchema):
    """A login session, without its secrets (the refresh token's id is not given)."""

    id = fields.Str(attribute="public_id", required=True)
    created_at = fields.DateTime(required=True)
    refreshed_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)
    revoked_reason = fields.Str(required=True, allow_none=True)


class ErasureSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    member_id = PublicId(Member, required=True)
    status = fields.Str(required=True, validate=validate.OneOf(("in_progress", "completed")))
    requested_at = fields.DateTime(required=True)
    requested_by = fields.Str(
        required=True, metadata={"description": "The user who asked: the member or an admin."}
    )
    steps_done = fields.List(fields.Str(), required=True)
    points_forfeited = fields.Int(required=True)
    completed_at = fields.DateTime(required=True, allow_none=True)


class EraseMeSchema(StrictSchema):
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=1, max=200))
