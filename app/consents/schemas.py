from marshmallow import fields, validate

from app.consents.models import CHANNELS, MEMBER_CHANNELS, PURPOSES
from app.schemas import StrictSchema

PURPOSE_HELP = (
    "marketing_push (campaign pushes), email (marketing mail), data_processing, terms "
    "(these two are agreed to at sign-up and end only with the account)."
)


class ConsentStateSchema(StrictSchema):
    """The member's current answer for one purpose: the newest record."""

    purpose = fields.Str(required=True, validate=validate.OneOf(PURPOSES))
    granted = fields.Bool(required=True)
    text_version = fields.Str(
        required=True, allow_none=True, metadata={"description": "The text agreed to, if any."}
    )
    current_text_version = fields.Str(required=True)
    up_to_date = fields.Bool(
        required=True, metadata={"description": "Granted, to the current text."}
    )
    channel = fields.Str(required=True, allow_none=True, validate=validate.OneOf(CHANNELS))
    recorded_at = fields.DateTime(required=True, allow_none=True)


class ConsentRecordSchema(StrictSchema):
    """One answer, as recorded: rows are never changed; a withdrawal is a row with granted
    false."""

    id = fields.Str(attribute="public_id", required=True)
    purpose = fields.Str(required=True, validate=validate.OneOf(PURPOSES))
    granted = fields.Bool(required=True)
    text_version = fields.Str(required=True)
    channel = fields.Str(required=True, validate=validate.OneOf(CHANNELS))
    recorded_at = fields.DateTime(required=True)


class ConsentsSchema(StrictSchema):
    consents = fields.List(fields.Nested(ConsentStateSchema), required=True)
    history = fields.List(
        fields.Nested(ConsentRecordSchema),
        required=True,
        metadata={"description": "Newest first, the latest 100 (the data export has all)."},
    )


class ConsentChangeSchema(StrictSchema):
    purpose = fields.Str(
        required=True, validate=validate.OneOf(PURPOSES), metadata={"description": PURPOSE_HELP}
    )
    granted = fields.Bool(required=True)
    text_version = fields.Str(
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "The version of the text the member was shown; when given it must "
            "be the current one (409 consent_version_outdated)."
        },
    )


class ConsentsUpdateSchema(StrictSchema):
    consents = fields.List(
        fields.Nested(ConsentChangeSchema),
        required=True,
        validate=validate.Length(min=1, max=len(PURPOSES)),
    )
    channel = fields.Str(load_default="app", validate=validate.OneOf(MEMBER_CHANNELS))
