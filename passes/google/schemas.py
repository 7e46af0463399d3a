"""What goes out over HTTP for Google Wallet: the member's save link."""

from __future__ import annotations

from marshmallow import Schema, fields


class SaveLinkSchema(Schema):
    """A "Save to Google Wallet" link, and the JWT it carries for apps that build their own."""

    save_url = fields.Url(
        required=True,
        metadata={
            "description": "https://pay.google.com/gp/v/save/<jwt>: open it to add the card."
        },
    )
    jwt = fields.Str(
        required=True,
        metadata={"description": "The save JWT (RS256, the issuer's key); names the object only."},
    )
    object_id = fields.Str(
        required=True,
        metadata={"description": "The member's LoyaltyObject id, `<issuer id>.<suffix>`."},
    )
