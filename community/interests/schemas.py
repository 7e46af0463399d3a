"""What goes in and out over HTTP for interests."""

from __future__ import annotations

from marshmallow import fields, validate

from app.schemas import StrictSchema, localized_texts
from community.interests.models import CHANNELS

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Lower-case letters, digits, - and _.")


class InterestAdminSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    code = fields.Str(required=True, validate=CODE)
    name = localized_texts(max_length=80)
    description = localized_texts(required=False, max_length=500)
    reward_ids = fields.List(
        fields.Str(validate=validate.Length(min=1, max=32)),
        validate=validate.Length(max=200),
        metadata={"description": "Rewards put first, `for_you`, for members with this interest."},
    )
    offer_ids = fields.List(
        fields.Str(validate=validate.Length(min=1, max=32)),
        validate=validate.Length(max=200),
        metadata={"description": "Offers put first, `for_you`, for members with this interest."},
    )
    position = fields.Int(strict=True, validate=validate.Range(min=0, max=10_000))
    active = fields.Bool()


class InterestSchema(StrictSchema):
    """An interest in the member's language."""

    code = fields.Str(required=True)
    name = fields.Str(required=True)
    description = fields.Str(required=True)
    chosen = fields.Bool(required=True)


class CommunicationSchema(StrictSchema):
    """Per channel, the interests the member wants to hear about on it."""

    push = fields.List(fields.Str(validate=CODE), validate=validate.Length(max=100))
    email = fields.List(fields.Str(validate=CODE), validate=validate.Length(max=100))


assert set(CommunicationSchema._declared_fields) == set(CHANNELS)


class MyInterestsSchema(StrictSchema):
    interests = fields.List(
        fields.Str(validate=CODE),
        required=True,
        validate=validate.Length(max=100),
        metadata={"description": "The codes of the interests chosen."},
    )
    communication = fields.Nested(
        CommunicationSchema,
        metadata={"description": "Leave out to keep the channels (less interests dropped)."},
    )
    catalog = fields.Nested(InterestSchema, many=True, dump_only=True)
