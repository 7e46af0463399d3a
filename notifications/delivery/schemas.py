"""What goes out over HTTP about one delivery: the open the app reported."""

from __future__ import annotations

from marshmallow import fields

from app.schemas import StrictSchema


class OpenedSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    opened_at = fields.DateTime(required=True)
