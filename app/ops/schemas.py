"""What the operations endpoints answer, and their errors in the app's one error shape."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

CHECK_STATUSES = ("ok", "down")


class HealthSchema(Schema):
    status = fields.Str(required=True, validate=validate.OneOf(["ok"]))


class ReadinessCheckSchema(Schema):
    status = fields.Str(required=True, validate=validate.OneOf(CHECK_STATUSES))
    duration_ms = fields.Float(required=True)
    error = fields.Str(
        metadata={"description": "Why it is down: the error's type, or `timeout`."},
    )


def _checks() -> fields.Dict:
    return fields.Dict(
        keys=fields.Str(),
        values=fields.Nested(ReadinessCheckSchema),
        required=True,
        metadata={
            "description": "Per dependency: `database` always; `redis`, `rate_limit_storage` "
            "and `broker` when configured."
        },
    )


class ReadinessSchema(Schema):
    status = fields.Str(required=True, validate=validate.OneOf(["ok"]))
    checks = _checks()


class NotReadyDetailsSchema(Schema):
    down = fields.List(fields.Str(), required=True)
    checks = _checks()


class NotReadyErrorSchema(Schema):
    code = fields.Str(required=True, validate=validate.OneOf(["not_ready"]))
    message = fields.Str(required=True)
    details = fields.Nested(NotReadyDetailsSchema, required=True)


class NotReadySchema(Schema):
    error = fields.Nested(NotReadyErrorSchema, required=True)


class MetricsDeniedErrorSchema(Schema):
    code = fields.Str(required=True, validate=validate.OneOf(["unauthorized", "metrics_disabled"]))
    message = fields.Str(required=True)
    details = fields.Dict(required=True)


class MetricsDeniedSchema(Schema):
    error = fields.Nested(MetricsDeniedErrorSchema, required=True)
