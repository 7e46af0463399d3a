from marshmallow import fields, validate

from app.holdout.rules import MAX_PERCENT
from app.offers.models import BENEFITS
from app.schemas import PublicId, StrictSchema, localized_texts
from app.segments.models import Segment


class OfferAdminSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    title = localized_texts(max_length=120)
    body = localized_texts(required=False, max_length=1000)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    segment_id = PublicId(Segment, allow_none=True)
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
    holdout_percent = fields.Int(
        strict=True,
        validate=validate.Range(min=0, max=MAX_PERCENT),
        metadata={
            "description": "A share of the audience held back (not shown the offer, may not "
            "claim it), to measure the offer's lift; fixed once the offer has started."
        },
    )
    holdout_recorded_at = fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "When the audience's groups were recorded (at the start)."},
    )


class MemberOfferSchema(StrictSchema):
    """A live offer as one member sees it: texts in the member's language, claims left."""

    id = fields.Str(attribute="public_id")
    title = fields.Str()
    body = fields.Str()
    benefit = fields.Str()
    points = fields.Int(allow_none=True)
    multiplier = fields.Decimal(as_string=True, allow_none=True)
    discount_percent = fields.Int(allow_none=True)
    ends_at = fields.DateTime()
    seconds_left = fields.Int()
    claims_left = fields.Int()
    for_you = fields.Bool(
        metadata={"description": "It matches the member's interests; such offers come first."}
    )


class ClaimSchema(StrictSchema):
    """A claim; `offer` is given beside it."""

    id = fields.Str(attribute="public_id")
    offer_id = fields.Str(attribute="offer.public_id")
    code = fields.Str()
    status = fields.Str()
    claimed_at = fields.DateTime()
    expires_at = fields.DateTime(attribute="offer.ends_at")
