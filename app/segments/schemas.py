from marshmallow import fields, validate

from app.schemas import StrictSchema


class SegmentSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    rules = fields.Dict(
        required=True,
        metadata={
            "description": "All must hold: tiers, languages, regions, home_stores, points_min, "
            "points_max, purchased_within_days, joined_from, joined_to, spend_min, spend_days, "
            "marketing_consent, badges (when games are on)."
        },
    )
    created_at = fields.DateTime(dump_only=True)


class PreviewMemberSchema(StrictSchema):
    id = fields.Str(attribute="public_id")
    name = fields.Str()
    tier = fields.Str(attribute="tier.code")
    language = fields.Str()


class PreviewSchema(StrictSchema):
    count = fields.Int()
    sample = fields.List(fields.Nested(PreviewMemberSchema))
