from marshmallow import fields, validate

from app.members.cardnumber import formatted
from app.schemas import LANGUAGES, StrictSchema


class TierBriefSchema(StrictSchema):
    code = fields.Str()
    name = fields.Str()
    multiplier = fields.Decimal(as_string=True)
    discount_percent = fields.Int()
    privileges = fields.List(fields.Str())


class MeSchema(StrictSchema):
    id = fields.Str(attribute="public_id")
    email = fields.Str()
    name = fields.Str()
    language = fields.Str()
    timezone = fields.Str()
    marketing_consent = fields.Bool()
    card_number = fields.Function(lambda m: formatted(m.card_number))
    barcode_value = fields.Str(attribute="card_number")
    tier = fields.Nested(TierBriefSchema)
    points_available = fields.Int()
    points_pending = fields.Int()
    joined_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class SessionTokensSchema(StrictSchema):
    access_token = fields.Str(required=True)
    refresh_token = fields.Str(required=True)


class SignupResultSchema(MeSchema):
    """The new member, and the first session's tokens."""

    tokens = fields.Nested(SessionTokensSchema, required=True)


class MePatchSchema(StrictSchema):
    name = fields.Str(validate=validate.Length(min=1, max=120))
    home_store_id = fields.Str(validate=validate.Length(max=32))
    language = fields.Str(validate=validate.OneOf(LANGUAGES))
    timezone = fields.Str(validate=validate.Length(max=64))
    marketing_consent = fields.Bool()


class PointsSchema(StrictSchema):
    available = fields.Int()
    pending = fields.Int()
    expiring_30_days = fields.Int()
    tier = fields.Str()
    qualifying_points = fields.Int()
    next_tier = fields.Str(allow_none=True)
    points_to_next_tier = fields.Int(allow_none=True)


class EntrySchema(StrictSchema):
    id = fields.Str(attribute="public_id")
    kind = fields.Str()
    available_delta = fields.Int()
    pending_delta = fields.Int()
    reason = fields.Str()
    reference_type = fields.Str()
    reference_id = fields.Str()
    created_at = fields.DateTime()


class HistorySchema(StrictSchema):
    entries = fields.List(fields.Nested(EntrySchema))
    next_cursor = fields.Str(allow_none=True)


class AdjustmentSchema(StrictSchema):
    points = fields.Int(
        required=True, strict=True, validate=validate.Range(min=-1_000_000, max=1_000_000)
    )
    reason = fields.Str(required=True, validate=validate.Length(min=3, max=200))


class MemberAuditSchema(StrictSchema):
    """A member as the audit trail keeps it: no name, email or other personal data, so an
    erased member leaves only pseudonymous ids there."""

    id = fields.Str(attribute="public_id")
    tier = fields.Str(attribute="tier.code")
    points_available = fields.Int()
    points_pending = fields.Int()
    ended_at = fields.DateTime(allow_none=True)
