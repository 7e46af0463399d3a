"""The community's part of the members' data (app.privacy) and of the audit trail (app.audit):
every tie to them in this one module.

- export: the member's survey responses (with the answers), votes, bookings and interests;
- erasure: free-text answers are removed (scores and choices stay, anonymous, in the results),
  the consent to be contacted is withdrawn, interests and channels go, and active bookings are
  given up (the places' points were forfeited with the member's; a freed seat goes to the next
  in line);
- `audit_change`: how the community's admin handlers record their changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask
from marshmallow import Schema, fields
from sqlalchemy import delete, select, update

from app import audit
from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow
from app.privacy.erasure import register_erasure_part
from app.privacy.export import register_export_part
from app.schemas import StrictSchema
from community import waitlist
from community.events.models import Event, Rsvp
from community.interests.models import ContactPreference, MemberInterest
from community.interests.service import member_codes, member_contact
from community.polls.models import Poll, PollCandidate, PollVote
from community.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse

YIELD_PER = 500


def audit_change(action: str, target: Any, schema: type[Schema], *, created: bool = False) -> None:
    """Record an admin's change with the transaction that makes it (app.audit)."""
    audit.record(action, target, schema=schema, created=created)


# -- export ------------------------------------------------------------------------------------


class AnswerExportSchema(StrictSchema):
    question_id = fields.Str(required=True)
    score = fields.Int(allow_none=True, required=True)
    choice = fields.Str(allow_none=True, required=True)
    text = fields.Str(allow_none=True, required=True)


class SurveyResponseExportSchema(StrictSchema):
    id = fields.Str(required=True)
    survey_id = fields.Str(required=True)
    contact_consent = fields.Bool(required=True)
    points_awarded = fields.Int(required=True)
    created_at = fields.DateTime(required=True)
    answers = fields.List(fields.Nested(AnswerExportSchema), required=True)


class VoteExportSchema(StrictSchema):
    poll_id = fields.Str(required=True)
    candidate_id = fields.Str(required=True)
    created_at = fields.DateTime(required=True)


class RsvpExportSchema(StrictSchema):
    id = fields.Str(required=True)
    event_id = fields.Str(required=True)
    status = fields.Str(required=True)
    points_paid = fields.Int(required=True)
    created_at = fields.DateTime(required=True)
    checked_in_at = fields.DateTime(allow_none=True, required=True)


class InterestsExportSchema(StrictSchema):
    interests = fields.List(fields.Str(), required=True)
    communication = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()), required=True)


def _responses(member: Member) -> Iterator[dict]:
    rows = db.session.execute(
        select(SurveyResponse, Survey.public_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(SurveyResponse.member_id == member.id)
        .order_by(SurveyResponse.id)
    ).all()
    for response, survey_id in rows:
        answers = db.session.execute(
            select(SurveyAnswer, SurveyQuestion.public_id)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .where(SurveyAnswer.response_id == response.id)
            .order_by(SurveyAnswer.id)
        )
        yield {
            "id": response.public_id,
            "survey_id": survey_id,
            "contact_consent": response.contact_consent,
            "points_awarded": response.points_awarded,
            "created_at": response.created_at,
            "answers": [
                {"question_id": qid, "score": a.number, "choice": a.choice, "text": a.text}
                for a, qid in answers
            ],
        }


def _votes(member: Member) -> Iterator[dict]:
    rows = db.session.execute(
        select(Poll.public_id, PollCandidate.public_id, PollVote.created_at)
        .join(Poll, Poll.id == PollVote.poll_id)
        .join(PollCandidate, PollCandidate.id == PollVote.candidate_id)
        .where(PollVote.member_id == member.id)
        .order_by(PollVote.id)
        .execution_options(yield_per=YIELD_PER)
    )
    for poll_id, candidate_id, at in rows:
        yield {"poll_id": poll_id, "candidate_id": candidate_id, "created_at": at}


def _rsvps(member: Member) -> Iterator[dict]:
    rows = db.session.execute(
        select(Rsvp, Event.public_id)
        .join(Event, Event.id == Rsvp.event_id)
        .where(Rsvp.member_id == member.id)
        .order_by(Rsvp.id)
        .execution_options(yield_per=YIELD_PER)
    )
    for rsvp, event_id in rows:
        yield {
            "id": rsvp.public_id,
            "event_id": event_id,
            "status": rsvp.status,
            "points_paid": rsvp.points_paid,
            "created_at": rsvp.created_at,
            "checked_in_at": rsvp.checked_in_at,
        }


def _interests(member: Member) -> dict:
    return {"interests": member_codes(member.id), "communication": member_contact(member.id)}


# -- erasure -----------------------------------------------------------------------------------


def erase(member: Member, _erasure: Any) -> None:
    from community.events.service import promote_next

    own = select(SurveyResponse.id).where(SurveyResponse.member_id == member.id)
    db.session.execute(
        update(SurveyAnswer)
        .where(SurveyAnswer.response_id.in_(own), SurveyAnswer.text.is_not(None))
        .values(text=None)
        .execution_options(synchronize_session=False)
    )
    # A text answer without its text says nothing: it goes, the scores and choices stay.
    db.session.execute(
        delete(SurveyAnswer)
        .where(
            SurveyAnswer.response_id.in_(own),
            SurveyAnswer.text.is_(None),
            SurveyAnswer.number.is_(None),
            SurveyAnswer.choice.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.member_id == member.id)
        .values(contact_consent=False)
        .execution_options(synchronize_session=False)
    )
    for model in (ContactPreference, MemberInterest):
        db.session.execute(
            delete(model)
            .where(model.member_id == member.id)
            .execution_options(synchronize_session=False)
        )
    now = utcnow()
    for rsvp in db.session.scalars(
        select(Rsvp).where(Rsvp.member_id == member.id, Rsvp.status.in_(waitlist.ACTIVE))
    ).all():
        # The member's row is locked (the erasure runner); the event's next, as everywhere.
        event = db.session.execute(
            select(Event)
            .where(Event.id == rsvp.event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
        was_confirmed = rsvp.status == waitlist.CONFIRMED
        rsvp.status = waitlist.FORFEITED
        rsvp.code = None
        rsvp.cancelled_at = now
        if was_confirmed:
            event.confirmed_count -= 1
            if event.starts_at > now:
                promote_next(event, now)


def register(app: Flask) -> None:
    parts = (
        ("survey_responses", SurveyResponseExportSchema, _responses, True, "Survey answers."),
        ("poll_votes", VoteExportSchema, _votes, True, "Votes in product polls."),
        ("event_bookings", RsvpExportSchema, _rsvps, True, "Event bookings."),
        ("interests", InterestsExportSchema, _interests, False, "Interests and channels."),
    )
    for name, schema, read, many, description in parts:
        register_export_part(app, name, schema, read, many=many, description=description)
    register_erasure_part(app, "community", erase)
