"""What a lift answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas import StrictSchema

WINDOW_MAX_DAYS = 90


class LiftArgs(StrictSchema):
    window_days = fields.Int(
        load_default=None,
        validate=validate.Range(min=1, max=WINDOW_MAX_DAYS),
        metadata={
            "description": "Days from the start measured (default ANALYTICS_LIFT_WINDOW_DAYS)."
        },
    )


class GroupSchema(Schema):
    members = fields.Int()
    spend_per_member = fields.Decimal(as_string=True)
    visits_per_member = fields.Decimal(as_string=True)


class ComparisonSchema(Schema):
    difference = fields.Decimal(as_string=True, metadata={"description": "Treated - held out."})
    ci_low = fields.Decimal(as_string=True, allow_none=True, metadata={"description": "95 %."})
    ci_high = fields.Decimal(as_string=True, allow_none=True, metadata={"description": "95 %."})
    degrees_of_freedom = fields.Float(allow_none=True)
    verdict = fields.Str(
        validate=validate.OneOf(("significant", "not significant", "insufficient data"))
    )


class WindowSchema(Schema):
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    days = fields.Int()
    complete = fields.Bool(metadata={"description": "False: the window is still running."})


class SubjectSchema(Schema):
    kind = fields.Str(validate=validate.OneOf(("campaign", "offer")))
    id = fields.Str()


class LiftSchema(Schema):
    subject = fields.Nested(SubjectSchema)
    holdout_percent = fields.Int()
    currency = fields.Str()
    window = fields.Nested(WindowSchema)
    treated = fields.Nested(GroupSchema)
    held_out = fields.Nested(GroupSchema)
    spend = fields.Nested(ComparisonSchema, metadata={"description": "Per member, in currency."})
    visits = fields.Nested(ComparisonSchema, metadata={"description": "Purchases per member."})
    incremental_spend = fields.Decimal(
        as_string=True, metadata={"description": "spend.difference x treated members."}
    )
    method = fields.Str()
