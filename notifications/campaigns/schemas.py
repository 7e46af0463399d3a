"""What goes in and out over HTTP for campaigns."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from app.holdout.rules import MAX_PERCENT
from app.offers.models import Offer
from app.schemas import PublicId, StrictSchema, localized_texts
from app.segments.models import Segment
from notifications.campaigns.models import CAMPAIGN_STATUSES
from notifications.texts import TemplateError, check_template

DEEP_LINK = validate.Regexp(r"^[a-z][a-z0-9+.-]*://\S+$", error="Must be a URL such as app://x.")


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
    holdout_percent = fields.Int(
        strict=True,
        validate=validate.Range(min=0, max=MAX_PERCENT),
        metadata={
            "description": "A share of the audience not sent to (drawn per member, recorded): "
            "what the campaign's lift is measured against."
        },
    )

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


class CampaignCountsSchema(StrictSchema):
    """What became of the campaign's pushes so far (one per device)."""

    targeted = fields.Int(required=True, metadata={"description": "Deliveries made."})
    members = fields.Int(required=True, metadata={"description": "Members they go to."})
    sent = fields.Int(required=True)
    failed = fields.Int(required=True)
    token_removed = fields.Int(
        required=True, metadata={"description": "FCM no longer knows the device: retired."}
    )
    expired = fields.Int(required=True, metadata={"description": "Its offer ended first."})
    skipped = fields.Int(required=True)
    opened = fields.Int(required=True)
    scheduled = fields.Int(
        required=True, metadata={"description": "Waiting for quiet hours or the daily cap."}
    )
    pending = fields.Int(required=True, metadata={"description": "Due, not sent yet."})


class CampaignSchema(StrictSchema):
    """A campaign, dumped from its row with its counts beside it."""

    id = fields.Str(attribute="public_id", required=True)
    name = fields.Str(required=True)
    title = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)
    body = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)
    segment_id = PublicId(Segment, allow_none=True, required=True)
    offer_id = PublicId(Offer, allow_none=True, required=True)
    deep_link = fields.Str(allow_none=True, required=True)
    send_at = fields.DateTime(allow_none=True, required=True)
    status = fields.Str(required=True, validate=validate.OneOf(CAMPAIGN_STATUSES))
    holdout_percent = fields.Int(required=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(allow_none=True, required=True)
    counts = fields.Nested(CampaignCountsSchema, required=True)
