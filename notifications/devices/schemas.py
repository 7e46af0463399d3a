"""What goes in and out over HTTP for a member's devices."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from app.schemas import StrictSchema, computed
from notifications.devices.models import PLATFORMS


class DeviceInSchema(StrictSchema):
    fid = fields.Str(
        validate=validate.Length(min=1, max=255),
        metadata={"description": "The app instance's Firebase installation ID (preferred)."},
    )
    token = fields.Str(
        validate=validate.Length(min=1, max=512),
        metadata={"description": "A legacy FCM registration token, for apps without a fid."},
    )
    platform = fields.Str(required=True, validate=validate.OneOf(PLATFORMS))
    app_version = fields.Str(allow_none=True, validate=validate.Length(max=40))

    @validates_schema
    def _an_address(self, data: dict, **_kwargs) -> None:
        if not data.get("fid") and not data.get("token"):
            raise ValidationError("Give the device's fid or its registration token.", "fid")


class DeviceSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    platform = fields.Str(required=True, validate=validate.OneOf(PLATFORMS))
    app_version = fields.Str(allow_none=True, required=True)
    addressed_by = computed(
        lambda d: "fid" if d.fid else "token",
        "string",
        required=True,
        metadata={"enum": ["fid", "token"], "description": "What FCM knows the device by."},
    )
    active = fields.Bool(required=True)
    created_at = fields.DateTime(required=True)
    last_seen_at = fields.DateTime(required=True)
