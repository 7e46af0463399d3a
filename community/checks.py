"""The community's rules in the ledger check (app.ledger.checks), each one set-based query.

- event_capacity: per event, the confirmed bookings number `confirmed_count`, never more than
  the capacity;
- survey_rewards: one response per member and survey, and each rewarded response has exactly
  its points in the ledger under its reference (and no such entry lacks its response);
- paid_seats: per booking, what the ledger holds under its reference is what the booking
  says it holds: the price while confirmed or waitlisted (or forfeited by an erasure),
  nothing once cancelled or lapsed.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from sqlalchemy import case, func, select

from app.extensions import db
from app.ledger.checks import Problem, register_check
from app.ledger.models import LedgerEntry
from community import waitlist
from community.events.models import Event, Rsvp
from community.events.service import REFERENCE_TYPE as RSVP_REFERENCE
from community.surveys.models import SurveyResponse
from community.surveys.service import REFERENCE_TYPE as SURVEY_REFERENCE


def event_capacity() -> Iterable[Problem]:
    confirmed = (
        select(Rsvp.event_id, func.count(Rsvp.id).label("count"))
        .where(Rsvp.status == waitlist.CONFIRMED)
        .group_by(Rsvp.event_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Event.public_id,
            Event.capacity,
            Event.confirmed_count,
            func.coalesce(confirmed.c.count, 0),
        ).outerjoin(confirmed, confirmed.c.event_id == Event.id)
    )
    for public_id, capacity, counted, actual in rows:
        if actual != counted or actual > capacity:
            yield Problem(
                "community_event_capacity",
                public_id,
                {"capacity": capacity, "confirmed_count": counted, "confirmed": actual},
            )


def _entries(reference_type: str):
    return (
        select(
            LedgerEntry.reference_id,
            func.count(LedgerEntry.id).label("entries"),
            func.sum(LedgerEntry.available_delta + LedgerEntry.pending_delta).label("points"),
        )
        .where(LedgerEntry.reference_type == reference_type)
        .group_by(LedgerEntry.reference_id)
        .subquery()
    )


def survey_rewards() -> Iterable[Problem]:
    for survey_id, member_id, count in db.session.execute(
        select(SurveyResponse.survey_id, SurveyResponse.member_id, func.count())
        .group_by(SurveyResponse.survey_id, SurveyResponse.member_id)
        .having(func.count() > 1)
    ):
        yield Problem(
            "community_survey_rewards",
            f"survey {survey_id} member {member_id}",
            {"responses": count},
        )
    entries = _entries(SURVEY_REFERENCE)
    rows = db.session.execute(
        select(
            SurveyResponse.public_id,
            SurveyResponse.points_awarded,
            func.coalesce(entries.c.entries, 0),
            func.coalesce(entries.c.points, 0),
        )
        .outerjoin(entries, entries.c.reference_id == SurveyResponse.public_id)
        .where((SurveyResponse.points_awarded != 0) | entries.c.reference_id.is_not(None))
    )
    for public_id, awarded, count, points in rows:
        if count != (1 if awarded else 0) or points != awarded:
            yield Problem(
                "community_survey_rewards",
                public_id,
                {"points_awarded": awarded, "entries": count, "entries_points": points},
            )
    orphans = db.session.execute(
        select(entries.c.reference_id).where(
            entries.c.reference_id.not_in(select(SurveyResponse.public_id))
        )
    )
    for (reference_id,) in orphans:
        yield Problem("community_survey_rewards", reference_id, {"response": None})


def paid_seats() -> Iterable[Problem]:
    entries = _entries(RSVP_REFERENCE)
    held = case((Rsvp.status.in_(waitlist.HOLDING), Rsvp.points_paid), else_=0)
    rows = db.session.execute(
        select(
            Rsvp.public_id,
            Rsvp.status,
            held,
            func.coalesce(entries.c.points, 0),
        )
        .outerjoin(entries, entries.c.reference_id == Rsvp.public_id)
        .where((Rsvp.points_paid != 0) | entries.c.reference_id.is_not(None))
    )
    for public_id, status, holds, points in rows:
        if -points != holds:
            yield Problem(
                "community_paid_seats",
                public_id,
                {"status": status, "holds": holds, "ledger": -points},
            )
    orphans = db.session.execute(
        select(entries.c.reference_id).where(entries.c.reference_id.not_in(select(Rsvp.public_id)))
    )
    for (reference_id,) in orphans:
        yield Problem("community_paid_seats", reference_id, {"rsvp": None})


def register(app: Flask) -> None:
    register_check(app, "community_event_capacity", event_capacity)
    register_check(app, "community_survey_rewards", survey_rewards)
    register_check(app, "community_paid_seats", paid_seats)
