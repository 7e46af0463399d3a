"""What goes in and out over HTTP for badges."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.extensions import db
from challenges.badges.models import Badge
from challenges.schemas import CODE, Localized, description, localized, texts


class BadgeCode(fields.Str):
    """A badge a game refers to (by its row id), dumped as the badge's code."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if isinstance(value, int):
            value = db.session.get(Badge, value).code
        return super()._serialize(value, attr, obj, **kwargs)


class BadgeCreateSchema(Schema):
    code = fields.Str(required=True, validate=CODE)
    image_url = fields.Url(required=True, validate=validate.Length(max=500))
    name = localized(max_length=120)
    description = description()


class BadgeChangesSchema(Schema):
    image_url = fields.Url(validate=validate.Length(max=500))
    name = localized(max_length=120)
    description = description()


class BadgeAdminSchema(Schema):
    """A badge as an admin defined it: its texts by language."""

    id = fields.Str(attribute="public_id", required=True)
    code = fields.Str(required=True)
    image_url = fields.Str(required=True)
    name = texts(required=True)
    description = texts(required=True)


class BadgeSchema(Schema):
    """A badge as a member sees it, in the member's language (a game's prize, one they hold)."""

    id = fields.Str(attribute="public_id", required=True)
    code = fields.Str(required=True)
    image_url = fields.Str(required=True)
    name = Localized(required=True)
    description = Localized(required=True)


class HeldBadgeSchema(BadgeSchema):
    """A badge the member holds, and what granted it."""

    granted_at = fields.DateTime(required=True)
    source = fields.Str(
        required=True,
        metadata={
            "description": 'What granted it, e.g. "challenge:chl_x:2026-W48", "quiz:quiz_y", '
            '"contest:ctst_z:1".'
        },
    )
