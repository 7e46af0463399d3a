from marshmallow import fields, validate

from app.offers.models import BENEFITS
from app.schemas import StrictSchema, localized_texts


class OfferAdminSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    title = localized_texts(max_length=120)
    body = localized_texts(required=False, max_length=1000)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    segment_id = fields.Str(allow_none=True)
    benefit = fields.Str(required=True, validate=validate.OneOf(BENEFITS))
    points = fields.Int(allow_none=True, strict=True, validate=validate.Range(min=1, max=100_000))
    multiplier = fields.Decimal(
        as_string=True, allow_none=True, validate=validate.Range(min=1, max=10)
    )
    discount_percent = fields.Int(allow_none=True, validate=validate.Range(min=1, max=100))
    per_member_limit = fields.Int(validate=validate.Range(min=1, max=100))
    total_cap = fields.Int(allow_none=True, strict=True, validate=validate.Range(min=1))
    claimed_count = fields.Int(dump_only=True)
    active = fields.Bool()


class MemberOfferSchema(StrictSchema):
    id = fields.Str()
    title = fields.Str()
    body = fields.Str()
    benefit = fields.Str()
    points = fields.Int(allow_none=True)
    multiplier = fields.Str(allow_none=True)
    discount_percent = fields.Int(allow_none=True)
    ends_at = fields.DateTime()
    seconds_left = fields.Int()
    claims_left = fields.Int()


class ClaimSchema(StrictSchema):
    id = fields.Str()
    offer_id = fields.Str()
    code = fields.Str()
    status = fields.Str()
    claimed_at = fields.DateTime()
    expires_at = fields.DateTime()
