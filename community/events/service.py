"""Events: seats while they last, then a waitlist in arrival order; early access by tier; paid
seats through the ledger; a ticket checked in once.

Every change to an event's bookings takes the member's row lock first (the ledger's order),
then the event's row lock, which makes the bookings of one event take turns: the seats
counted under it are the seats there are, and the sequence number given under it is the
order of arrival. A paid place takes the points when booked, waitlisted or not, so a freed
seat goes to the next in line without touching another member's points (no second member
lock, no deadlock); a place that never became a seat is refunded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from app.codes import normalize, till_code
from app.errors import ApiError, forbidden
from app.extensions import db
from app.i18n import pick
from app.ledger import service as ledger
from app.lookup import by_public_id, optional_ref
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.stores.models import Store
from app.tiers.models import Tier
from community import pushes, waitlist, windows
from community.eligibility import check_refs, is_eligible
from community.events.models import Event, Rsvp

REFERENCE_TYPE = "event_rsvp"


def get_event(public_id: str) -> Event:
    return by_public_id(Event, public_id, "event")


def _locked(event_id: int) -> Event:
    return db.session.execute(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def tier_ranks() -> dict[str, int]:
    return dict(db.session.execute(select(Tier.code, Tier.rank)).all())


def save_event(event: Event, data: dict) -> Event:
    """Create or change an event (not committed): the capacity never below the seats taken."""
    check_refs(data)
    if "store_id" in data:
        data["store_id"] = optional_ref(Store, data["store_id"], "store_id")
    if "early_access" in data:
        ranks = tier_ranks()
        unknown = [w["tier"] for w in data["early_access"] if w["tier"] not in ranks]
        if unknown:
            raise ApiError(
                422,
                "validation_error",
                "Unknown tiers.",
                {"fields": {"early_access": [f"unknown tier {t}" for t in unknown]}},
            )
        data["early_access"] = [
            {"tier": w["tier"], "opens_at": w["opens_at"].isoformat()} for w in data["early_access"]
        ]
    if event.id is not None:
        event = _locked(event.id)
    for key, value in data.items():
        setattr(event, key, value)
    problems = {}
    if event.opens_at >= event.starts_at:
        problems["opens_at"] = ["booking must open before the event starts"]
    if event.ends_at is not None and event.ends_at <= event.starts_at:
        problems["ends_at"] = ["must be after starts_at"]
    if any(
        datetime.fromisoformat(w["opens_at"]) >= event.starts_at for w in event.early_access or ()
    ):
        problems["early_access"] = ["early access must open before the event starts"]
    if problems:
        raise ApiError(
            422, "validation_error", "The event's times do not fit.", {"fields": problems}
        )
    if (event.confirmed_count or 0) > event.capacity:
        raise ApiError(
            409,
            "capacity_below_bookings",
            "More seats are booked than that.",
            {"confirmed": event.confirmed_count},
        )
    db.session.add(event)
    db.session.flush()
    return event


def opens_for(event: Event, member: Member, ranks: dict[str, int]) -> datetime:
    early = [(w["tier"], datetime.fromisoformat(w["opens_at"])) for w in event.early_access or ()]
    return windows.booking_opens_at(member.tier.code, event.opens_at, early, ranks)


def events_for(member: Member, now: datetime | None = None) -> list[tuple[Event, Rsvp | None]]:
    """Upcoming events the member may attend, with the member's booking."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(Event)
        .where(Event.active, Event.starts_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(200)
    )
    mine = {
        r.event_id: r for r in db.session.scalars(select(Rsvp).where(Rsvp.member_id == member.id))
    }
    return [(e, mine.get(e.id)) for e in rows if e.id in mine or is_eligible(e, member)]


def waitlist_position(rsvp: Rsvp) -> int | None:
    if rsvp.status != waitlist.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count(Rsvp.id)).where(
            Rsvp.event_id == rsvp.event_id,
            Rsvp.status == waitlist.WAITLISTED,
            Rsvp.seq < rsvp.seq,
        )
    )
    return ahead + 1


def _title(event: Event) -> str:
    return pick(event.title, "en")[:150]


def _confirm(event: Event, rsvp: Rsvp, now: datetime) -> None:
    rsvp.status = waitlist.CONFIRMED
    rsvp.confirmed_at = now
    rsvp.code = till_code()
    event.confirmed_count += 1


def book(event: Event, member: Member, now: datetime | None = None) -> Rsvp:
    """A seat while they last, else a place on the waitlist; not committed (run_once does)."""
    ensure_active(member)
    ledger.lock_member(member.id)
    event = _locked(event.id)
    now = now or utcnow()
    if not event.active:
        raise ApiError(409, "event_cancelled", "This event is cancelled.")
    if now >= event.starts_at:
        raise ApiError(409, "event_started", "This event has started.")
    if not is_eligible(event, member):
        raise ApiError(403, "event_not_eligible", "This event is for other members.")
    opens = opens_for(event, member, tier_ranks())
    if now < opens:
        raise ApiError(
            409,
            "booking_not_open",
            "Booking is not open for you yet.",
            {"opens_at": opens.isoformat(), "tier": member.tier.code},
        )
    rsvp = db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.member_id == member.id)
    )
    if rsvp is not None and rsvp.status in waitlist.ACTIVE:
        raise ApiError(
            409, "already_booked", "You have booked this event.", {"status": rsvp.status}
        )
    event.last_seq += 1
    if rsvp is None:
        rsvp = Rsvp(event_id=event.id, member_id=member.id, booking=1)
        db.session.add(rsvp)
    else:
        # Booking again after a cancel: the end of the line, a new ticket, a new payment.
        rsvp.booking += 1
        rsvp.code = rsvp.confirmed_at = rsvp.cancelled_at = rsvp.checked_in_at = None
    rsvp.seq = event.last_seq
    rsvp.created_at = now
    rsvp.points_paid = event.price_points
    rsvp.status = waitlist.seat_or_wait(event.confirmed_count, event.capacity)
    if rsvp.status == waitlist.CONFIRMED:
        _confirm(event, rsvp, now)
    db.session.flush()
    if event.price_points:
        ledger.debit(
            member.id,
            event.price_points,
            kind="redeem",
            reason=f"Event: {_title(event)}",
            reference_type=REFERENCE_TYPE,
            reference_id=rsvp.public_id,
        )
    return rsvp


def _refund(member: Member, rsvp: Rsvp, event: Event, why: str) -> None:
    if not rsvp.points_paid:
        return
    ledger.credit(
        member,
        rsvp.points_paid,
        kind="refund",
        reason=f"Event {why}: {_title(event)}"[:200],
        reference_type=REFERENCE_TYPE,
        reference_id=rsvp.public_id,
        idempotency_key=f"community.rsvp:{rsvp.public_id}:{rsvp.booking}:refund",
    )


def promote_next(event: Event, now: datetime) -> Rsvp | None:
    """Give a free seat to the first in line (under the event's lock) and tell them."""
    if event.confirmed_count >= event.capacity:
        return None
    first = db.session.scalar(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == waitlist.WAITLISTED)
        .order_by(Rsvp.seq)
        .limit(1)
    )
    if first is None:
        return None
    _confirm(event, first, now)
    pushes.publish(
        pushes.WAITLIST_PROMOTED,
        {
            "member_id": first.member_id,
            "event_id": event.public_id,
            "rsvp_id": first.public_id,
            "name": event.title,
        },
    )
    return first


def cancel(event: Event, member: Member, now: datetime | None = None) -> Rsvp:
    """Cancel the member's booking, refund a paid place, and give a freed seat to the first on
    the waitlist, exactly once; committed."""
    ensure_active(member)
    member = ledger.lock_member(member.id)
    event = _locked(event.id)
    now = now or utcnow()
    rsvp = db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.member_id == member.id)
    )
    if rsvp is None:
        raise ApiError(404, "rsvp_not_found", "You have not booked this event.")
    if rsvp.status not in waitlist.ACTIVE:
        raise ApiError(
            409, "rsvp_not_active", "This booking is not active.", {"status": rsvp.status}
        )
    if now >= event.starts_at:
        raise ApiError(409, "event_started", "This event has started.")
    was_confirmed = rsvp.status == waitlist.CONFIRMED
    rsvp.status = waitlist.CANCELLED
    rsvp.cancelled_at = now
    rsvp.code = None
    _refund(member, rsvp, event, "cancelled")
    if was_confirmed:
        event.confirmed_count -= 1
        promote_next(event, now)
    db.session.commit()
    return rsvp


def settle_started(now: datetime | None = None) -> int:
    """Places still waiting when their event began lapse, and paid ones are refunded: each
    event committed on its own. Returns the places lapsed."""
    now = now or utcnow()
    lapsed = 0
    due = list(
        db.session.scalars(
            select(Event.id).where(Event.starts_at <= now, Event.settled_at.is_(None))
        )
    )
    for event_id in due:
        waiting = list(
            db.session.scalars(
                select(Rsvp)
                .where(Rsvp.event_id == event_id, Rsvp.status == waitlist.WAITLISTED)
                .order_by(Rsvp.seq)
            )
        )
        for rsvp in waiting:
            member = ledger.lock_member(rsvp.member_id)
            event = _locked(event_id)
            rsvp = db.session.get(Rsvp, rsvp.id, populate_existing=True)
            if rsvp.status != waitlist.WAITLISTED:
                continue
            rsvp.status = waitlist.LAPSED
            _refund(member, rsvp, event, "place lapsed")
            lapsed += 1
            db.session.commit()
        event = _locked(event_id)
        event.settled_at = now
        db.session.commit()
    return lapsed


def release_cancelled(event_id: int, now: datetime | None = None) -> int:
    """An event the admins called off: every active booking is cancelled and a paid place
    refunded, each under its member's lock then the event's (the order bookings take), each
    committed on its own. Returns the bookings released."""
    now = now or utcnow()
    released = 0
    active = list(
        db.session.scalars(
            select(Rsvp.id).where(Rsvp.event_id == event_id, Rsvp.status.in_(waitlist.ACTIVE))
        )
    )
    for rsvp_id in active:
        rsvp = db.session.get(Rsvp, rsvp_id)
        member = ledger.lock_member(rsvp.member_id)
        event = _locked(event_id)
        rsvp = db.session.get(Rsvp, rsvp_id, populate_existing=True)
        if event.active or rsvp.status not in waitlist.ACTIVE:
            db.session.commit()
            continue
        if rsvp.status == waitlist.CONFIRMED:
            event.confirmed_count -= 1
        rsvp.status = waitlist.CANCELLED
        rsvp.cancelled_at = now
        rsvp.code = None
        _refund(member, rsvp, event, "called off")
        released += 1
        db.session.commit()
    return released


def check_in(code: str, store: Store, now: datetime | None = None) -> tuple[Rsvp, Event]:
    """Staff check a ticket in at the door, once."""
    now = now or utcnow()
    normalized = normalize(code)
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.code == normalized))
    if rsvp is None:
        raise ApiError(404, "ticket_not_found", "No such ticket.")
    event = db.session.get(Event, rsvp.event_id)
    if event.store_id is not None and event.store_id != store.id:
        raise forbidden("This ticket is for an event at another store.")
    done = db.session.execute(
        update(Rsvp)
        .where(
            Rsvp.id == rsvp.id,
            Rsvp.status == waitlist.CONFIRMED,
            Rsvp.checked_in_at.is_(None),
        )
        .values(checked_in_at=now)
        .execution_options(synchronize_session=False)
    )
    rsvp = db.session.get(Rsvp, rsvp.id, populate_existing=True)
    if done.rowcount != 1:
        db.session.rollback()
        if rsvp.checked_in_at is not None:
            raise ApiError(
                409,
                "ticket_already_checked_in",
                "This ticket was checked in already.",
                {"checked_in_at": rsvp.checked_in_at.isoformat()},
            )
        raise ApiError(409, "ticket_not_valid", "This ticket is not valid.")
    db.session.commit()
    return rsvp, event
