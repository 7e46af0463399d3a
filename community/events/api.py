"""Events over HTTP: the admins' events, the members' bookings, the door's check-in."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth.guards import (
    admin_required,
    current_member,
    member_required,
    store_actor,
    store_required,
)
from app.extensions import db
from app.i18n import pick
from app.idempotency import require_key, run_once
from app.members.models import Member
from app.models_base import utcnow
from app.openapi import errors, idempotent, replayed
from app.program.service import get_program
from app.schemas import Augmented
from community.events import service
from community.events.models import Event, Rsvp
from community.events.schemas import EventAdminSchema, MemberEventSchema, RsvpSchema, TicketSchema
from community.interests.service import member_codes
from community.privacy import audit_change

blp = Blueprint("community_events", __name__, url_prefix="/api/v1", description="Events")


@blp.route("/admin/events", methods=["GET"])
@admin_required
@blp.response(200, EventAdminSchema(many=True))
def admin_list():
    return list(db.session.scalars(select(Event).order_by(Event.starts_at.desc()).limit(200)))


@blp.route("/admin/events", methods=["POST"])
@admin_required
@blp.arguments(EventAdminSchema)
@blp.response(201, EventAdminSchema)
def create(data):
    """An event with seats, a place or store, a price in points or free, and early-access
    windows by tier."""
    event = service.save_event(Event(), data)
    audit_change("event.create", event, EventAdminSchema, created=True)
    db.session.commit()
    return event


@blp.route("/admin/events/<event_id>", methods=["PATCH"])
@admin_required
@errors(404, "event_not_found")
@errors(409, "capacity_below_bookings")
@blp.arguments(EventAdminSchema(partial=True))
@blp.response(200, EventAdminSchema)
def patch(changes, event_id):
    event = service.get_event(event_id)
    audit_change("event.update", event, EventAdminSchema)
    event = service.save_event(event, changes)
    db.session.commit()
    if not event.active:
        # Called off: the bookings are released and paid places refunded.
        service.release_cancelled(event.id)
    return event


def _rsvp_view(rsvp: Rsvp, event: Event) -> Augmented:
    return Augmented(
        rsvp, event_id=event.public_id, waitlist_position=service.waitlist_position(rsvp)
    )


@blp.route("/events", methods=["GET"])
@member_required
@blp.response(200, MemberEventSchema(many=True))
def mine():
    """Upcoming events, with when this member may book (early access by tier) and the
    member's booking; those matching the member's interests first."""
    member = current_member()
    default = get_program().default_language
    ranks = service.tier_ranks()
    interests = set(member_codes(member.id))
    now = utcnow()
    views = []
    for event, rsvp in service.events_for(member, now):
        opens = service.opens_for(event, member, ranks)
        views.append(
            Augmented(
                event,
                title=pick(event.title, member.language, default),
                description=pick(event.description, member.language, default),
                seats_left=max(0, event.capacity - event.confirmed_count),
                booking_opens_at=opens,
                early_access=opens < event.opens_at,
                can_book_now=opens <= now < event.starts_at
                and (rsvp is None or rsvp.status not in ("confirmed", "waitlisted")),
                for_you=bool(set(event.interests or ()) & interests),
                my_rsvp=_rsvp_view(rsvp, event) if rsvp is not None else None,
            )
        )
    return sorted(views, key=lambda v: not v.for_you)


@blp.route("/events/<event_id>/rsvp", methods=["POST"])
@member_required
@idempotent
@errors(403, "event_not_eligible")
@errors(404, "event_not_found")
@errors(
    409,
    "booking_not_open",
    "event_started",
    "event_cancelled",
    "already_booked",
    "insufficient_points",
)
@blp.response(201, RsvpSchema)
def rsvp(event_id):
    """Book a seat (needs an `Idempotency-Key`): confirmed with a ticket code while seats
    last, then waitlisted in order of arrival. A paid seat takes its points now."""
    key = require_key(request.headers.get("Idempotency-Key"))
    member = current_member()
    event = service.get_event(event_id)

    def action():
        booked = service.book(event, member)
        return RsvpSchema().dump(_rsvp_view(booked, event)), 201

    body, status, _ = run_once(f"rsvp:{member.public_id}", key, {"event": event_id}, action)
    return replayed(body, status)


@blp.route("/events/<event_id>/rsvp", methods=["DELETE"])
@member_required
@errors(404, "event_not_found", "rsvp_not_found")
@errors(409, "rsvp_not_active", "event_started")
@blp.response(200, RsvpSchema)
def cancel(event_id):
    """Cancel the booking: a paid place is refunded, and a freed seat goes to the first on
    the waitlist (who is told by push)."""
    event = service.get_event(event_id)
    cancelled = service.cancel(event, current_member())
    return _rsvp_view(cancelled, event)


@blp.route("/event-tickets/<code>/check-in", methods=["POST"])
@store_required
@errors(403, "forbidden")
@errors(404, "ticket_not_found")
@errors(409, "ticket_already_checked_in", "ticket_not_valid", "store_inactive")
@blp.response(200, TicketSchema)
def check_in(code):
    """Staff check a confirmed ticket in at the door; a ticket works once."""
    rsvp, event = service.check_in(code, store_actor().store)
    member = db.session.get(Member, rsvp.member_id)
    return Augmented(rsvp, event_id=event.public_id, member_name=member.name)
