"""What goes in and out over HTTP for events and bookings."""

from __future__ import annotations

from datetime import datetime

from marshmallow import fields, pre_dump, validate

from app.schemas import PublicId, StrictSchema, localized_texts
from app.stores.models import Store
from community.events.models import KINDS
from community.schemas import TIER_CODE, EligibilitySchema


class EarlyAccessSchema(StrictSchema):
    tier = fields.Str(required=True, validate=TIER_CODE)
    opens_at = fields.AwareDateTime(required=True)

    @pre_dump
    def _stored(self, data: dict, **_kwargs) -> dict:
        # Stored as JSON: the time is an ISO string there.
        if isinstance(data.get("opens_at"), str):
            data = {**data, "opens_at": datetime.fromisoformat(data["opens_at"])}
        return data


class EventAdminSchema(EligibilitySchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
    title = localized_texts(max_length=120)
    description = localized_texts(required=False, max_length=2000)
    place = fields.Str(allow_none=True, validate=validate.Length(max=200))
    store_id = PublicId(Store, allow_none=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(allow_none=True)
    capacity = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=100_000))
    price_points = fields.Int(
        strict=True,
        validate=validate.Range(min=0, max=1_000_000),
        metadata={"description": "Points a seat costs (held while waitlisted); 0: free."},
    )
    opens_at = fields.AwareDateTime(
        required=True, metadata={"description": "When everyone may book."}
    )
    early_access = fields.List(
        fields.Nested(EarlyAccessSchema),
        validate=validate.Length(max=10),
        metadata={
            "description": "Booking opens sooner for a tier (and the tiers above it): "
            "platinum from Monday, gold from Wednesday."
        },
    )
    active = fields.Bool()
    confirmed_count = fields.Int(dump_only=True)


class RsvpSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    event_id = fields.Str(required=True)
    status = fields.Str(
        required=True, metadata={"description": "confirmed, waitlisted, cancelled or lapsed."}
    )
    waitlist_position = fields.Int(allow_none=True, required=True)
    code = fields.Str(
        allow_none=True, required=True, metadata={"description": "The ticket, once confirmed."}
    )
    points_paid = fields.Int(required=True)
    created_at = fields.DateTime(required=True)
    confirmed_at = fields.DateTime(allow_none=True, required=True)
    cancelled_at = fields.DateTime(allow_none=True, required=True)
    checked_in_at = fields.DateTime(allow_none=True, required=True)


class MemberEventSchema(StrictSchema):
    """An event as the member sees it: when they may book, their booking."""

    id = fields.Str(attribute="public_id", required=True)
    kind = fields.Str(required=True)
    title = fields.Str(required=True)
    description = fields.Str(required=True)
    place = fields.Str(allow_none=True, required=True)
    store_id = PublicId(Store, allow_none=True, required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(allow_none=True, required=True)
    price_points = fields.Int(required=True)
    capacity = fields.Int(required=True)
    seats_left = fields.Int(required=True)
    booking_opens_at = fields.DateTime(
        required=True, metadata={"description": "When this member may book (early access)."}
    )
    early_access = fields.Bool(
        required=True, metadata={"description": "The member may book before everyone."}
    )
    can_book_now = fields.Bool(required=True)
    for_you = fields.Bool(
        required=True, metadata={"description": "Matches the member's interests."}
    )
    my_rsvp = fields.Nested(RsvpSchema, allow_none=True, required=True)


class TicketSchema(StrictSchema):
    """A ticket checked in at the door."""

    code = fields.Str(required=True)
    event_id = fields.Str(required=True)
    member_name = fields.Str(required=True)
    checked_in_at = fields.DateTime(required=True)
