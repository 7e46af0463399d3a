"""Schema pieces the community's domains share."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from app.schemas import StrictSchema

TIER_CODE = validate.Length(min=1, max=20)
CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Lower-case letters, digits, - and _.")


class EligibilitySchema(StrictSchema):
    """Who may take part: tiers and interests (empty: all), and a segment."""

    tiers = fields.List(
        fields.Str(validate=TIER_CODE),
        validate=validate.Length(max=20),
        metadata={"description": "Tier codes; empty: every tier."},
    )
    segment_id = fields.Str(
        allow_none=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "A segment's id: only its members."},
    )
    interests = fields.List(
        fields.Str(validate=CODE),
        validate=validate.Length(max=50),
        metadata={"description": "Interest codes; empty: everyone, else one of them."},
    )


class WindowSchema(StrictSchema):
    """A window from `starts_at` until `ends_at`; on a partial load only what is sent."""

    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)

    @validates_schema
    def _order(self, data: dict, **_kwargs) -> None:
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("ends_at must be after starts_at.", "ends_at")
