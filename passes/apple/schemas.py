"""What goes in and out over HTTP for Apple passes: the member's .pkpass, Wallet's log for
operators, and the PassKit web service's bodies as Apple's protocol spells them (camelCase).

Wallet's own bodies are read leniently (unknown keys ignored): Apple may add keys, and a
device that cannot register is a pass that never updates.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

MAX_DEVICE_ID = 128
MAX_PUSH_TOKEN = 200

APPLE_PASS_SCHEME = "applePass"
APPLE_PASS_SECURITY = [{APPLE_PASS_SCHEME: []}]
# Wallet sends the pass's own authenticationToken (from pass.json) in the Authorization header.
APPLE_PASS_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "ApplePass",
    "description": "`Authorization: ApplePass <authenticationToken>`: the token in the pass's "
    "pass.json, sent by Wallet on a device. A wrong token, an unknown serial and a pass type "
    "that is not ours get the same 401.",
}

# The signed pass file: a zip, documented as the binary it is.
PKPASS_BODY = {"type": "string", "format": "binary"}
PKPASS_HEADERS = {
    "Last-Modified": {
        "description": "When the pass last changed; send it back as If-Modified-Since.",
        "schema": {"type": "string"},
    }
}
IF_MODIFIED_SINCE = {
    "in": "header",
    "name": "If-Modified-Since",
    "required": False,
    "description": "The Last-Modified of the copy held: 304 when the pass has not changed since.",
    "schema": {"type": "string"},
}
# Apple's protocol answers some calls with a status alone: an empty text body.
EMPTY_BODY = {"type": "string", "maxLength": 0}
EMPTY_MEDIA_TYPE = "text/plain"


def _not_blank(value: str) -> None:
    if value and not value.strip():  # "" is Length's to refuse
        raise ValidationError("Must not be blank.")


class RegistrationSchema(Schema):
    """POST .../registrations/{pass_type}/{serial}: where to push this pass's updates."""

    class Meta:
        unknown = EXCLUDE

    push_token = fields.Str(
        required=True,
        data_key="pushToken",
        validate=[validate.Length(min=1, max=MAX_PUSH_TOKEN), _not_blank],
        metadata={"description": "The APNs token of this registration (one device, one pass)."},
    )


class WalletLogSchema(Schema):
    """POST /log: Wallet's messages about our passes (kept bounded, see PASS_LOG_*)."""

    class Meta:
        unknown = EXCLUDE

    logs = fields.List(fields.Str(), required=True)


class UpdatedSinceQuerySchema(Schema):
    passes_updated_since = fields.Str(
        data_key="passesUpdatedSince",
        load_default=None,
        metadata={
            "description": "The lastUpdated of the device's previous answer; without it (or "
            "with a tag we never gave) every pass of the device is listed."
        },
    )


class SerialNumbersSchema(Schema):
    """The device's passes changed since the tag, and the tag to send next time."""

    serial_numbers = fields.List(fields.Str(), required=True, data_key="serialNumbers")
    last_updated = fields.Str(
        required=True,
        data_key="lastUpdated",
        metadata={"description": "An opaque tag (digits): passesUpdatedSince next time."},
    )


class LogQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    # Bounded by the id column (INTEGER, 32-bit on PostgreSQL): a larger number is a 422, not an
    # overflow in the database (SQLite fails past 2**63, PostgreSQL past 2**31).
    before = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))


class LogEntrySchema(Schema):
    id = fields.Int(required=True, metadata={"description": "Page on with `before`."})
    message = fields.Str(required=True)
    remote_addr = fields.Str(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class LogPageSchema(Schema):
    """Newest first."""

    entries = fields.List(fields.Nested(LogEntrySchema), required=True)


def load_wallet_body(schema: Schema, data: Any) -> dict[str, Any]:
    """Wallet's JSON body through its schema; ValidationError as marshmallow raises it, and a
    body that is not an object as one too."""
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.")
    return schema.load(data)
