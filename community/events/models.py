"""Experiences: events with seats, tiered early access, and the members' bookings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column
from community.eligibility import EligibilityColumns

KINDS = ("workshop", "vip_sale", "launch", "meetup", "other")


class Event(EligibilityColumns, db.Model):
    __tablename__ = "community_events"
    __table_args__ = (Index("ix_community_events_starts", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("evt")
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    place: Mapped[str | None] = mapped_column(String(200))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    capacity: Mapped[int]
    price_points: Mapped[int] = mapped_column(default=0)
    # When everyone may book; `early_access` opens it sooner by tier:
    # [{"tier": "platinum", "opens_at": "2026-05-04T08:00:00+00:00"}, ...].
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    early_access: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Kept under the event's row lock with the bookings: seats taken, and the last
    # sequence number given (the order bookings arrived in).
    confirmed_count: Mapped[int] = mapped_column(default=0)
    last_seq: Mapped[int] = mapped_column(default=0)
    # When the waitlist left at the start was settled (its paid places refunded).
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()


class Rsvp(db.Model):
    """A member's booking of an event: confirmed with a ticket code, or waiting in line."""

    __tablename__ = "community_event_rsvps"
    __table_args__ = (
        # One booking per member and event; booking again after cancelling reuses it.
        UniqueConstraint("event_id", "member_id"),
        Index("ix_community_rsvps_line", "event_id", "status", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("rsv")
    event_id: Mapped[int] = mapped_column(ForeignKey("community_events.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    seq: Mapped[int]
    # How many times the member booked (a booking after a cancel is the next one): the
    # ledger's refund of each booking is its own, exactly once.
    booking: Mapped[int] = mapped_column(default=1)
    code: Mapped[str | None] = mapped_column(String(12), unique=True)
    # What this booking took from the member's points and still holds while it is active.
    points_paid: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
