"""What goes in and out over HTTP for devices, preferences and campaigns."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from app.schemas import StrictSchema, localized_texts
from notifications.models import PLATFORMS, TRANSACTIONAL_KINDS
from notifications.texts import TemplateError, check_template

DEEP_LINK = validate.Regexp(r"^[a-z][a-z0-9+.-]*://\S+$", error="Must be a URL such as app://x.")


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
    id = fields.Str(attribute="public_id")
    platform = fields.Str()
    app_version = fields.Str(allow_none=True)
    addressed_by = fields.Function(lambda d: "fid" if d.fid else "token")
    active = fields.Bool()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()


class PreferencesSchema(StrictSchema):
    points_earned = fields.Bool()
    tier_changed = fields.Bool()
    challenge_completed = fields.Bool()
    contest_won = fields.Bool()
    offer_expiring = fields.Bool()


class PreferencesPatchSchema(PreferencesSchema):
    @validates_schema
    def _something(self, data: dict, **_kwargs) -> None:
        if not data:
            raise ValidationError(f"Give at least one of {', '.join(TRANSACTIONAL_KINDS)}.")


class OpenedSchema(StrictSchema):
    id = fields.Str()
    opened_at = fields.DateTime()


def _localized(max_length: int) -> fields.Dict:
    return localized_texts(
        max_length=max_length,
        metadata={"description": "Texts by language; {name} is the member's name."},
    )


class CampaignInSchema(StrictSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    title = _localized(120)
    body = _localized(1000)
    segment_id = fields.Str(allow_none=True, metadata={"description": "None: every member."})
    offer_id = fields.Str(allow_none=True)
    deep_link = fields.Str(allow_none=True, validate=[validate.Length(max=500), DEEP_LINK])
    send_at = fields.AwareDateTime(allow_none=True)

    @validates_schema
    def _texts(self, data: dict, **_kwargs) -> None:
        title, body = data.get("title") or {}, data.get("body") or {}
        if set(title) != set(body):
            raise ValidationError("Title and body must have the same languages.", "body")
        for field, texts in (("title", title), ("body", body)):
            for language, text in texts.items():
                try:
                    check_template(text, ("name",))
                except TemplateError as error:
                    raise ValidationError({language: [str(error)]}, field) from error


class CountsSchema(StrictSchema):
    targeted = fields.Int()
    members = fields.Int()
    sent = fields.Int()
    failed = fields.Int()
    token_removed = fields.Int()
    expired = fields.Int()
    skipped = fields.Int()
    opened = fields.Int()
    scheduled = fields.Int()
    pending = fields.Int()


class CampaignSchema(StrictSchema):
    id = fields.Str()
    name = fields.Str()
    title = fields.Dict()
    body = fields.Dict()
    segment_id = fields.Str(allow_none=True)
    offer_id = fields.Str(allow_none=True)
    deep_link = fields.Str(allow_none=True)
    send_at = fields.DateTime(allow_none=True)
    status = fields.Str()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    counts = fields.Nested(CountsSchema)
