"""Surveys, polls and events (the community package): results, votes and waitlists, read
through that package's services."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.members.models import Member
from community import waitlist
from community.events import service as events
from community.events.models import Event, Rsvp
from community.polls import service as polls
from community.polls.models import Poll
from community.surveys import service as surveys
from community.surveys.models import Survey
from console import charts
from console.pages import page
from console.web import requires

bp = Blueprint("community", __name__, url_prefix="/community")
requires(bp, "admin")
NAV = ((_l("Surveys, polls, events"), "index", "admin"),)


@bp.route("/")
def index():
    waiting = dict(
        db.session.execute(
            select(Rsvp.event_id, func.count())
            .where(Rsvp.status == waitlist.WAITLISTED)
            .group_by(Rsvp.event_id)
        ).all()
    )
    return page(
        "console/community/index.html",
        surveys=list(db.session.scalars(select(Survey).order_by(Survey.id.desc()).limit(100))),
        polls=list(db.session.scalars(select(Poll).order_by(Poll.id.desc()).limit(100))),
        events=list(db.session.scalars(select(Event).order_by(Event.starts_at.desc()).limit(100))),
        waiting=waiting,
        title=_l("Surveys, polls, events"),
    )


@bp.route("/surveys/<survey_id>")
def survey(survey_id: str):
    found = surveys.get_survey(survey_id)
    return page(
        "console/community/survey.html",
        survey=found,
        results=surveys.results(found),
        title=_l("Survey"),
    )


@bp.route("/polls/<poll_id>")
def poll(poll_id: str):
    found = polls.get_poll(poll_id)
    results = polls.results(found)
    chart = charts.bar_chart(
        [(_name(c["name"]), c["votes"]) for c in results["candidates"]], height=200
    )
    return page(
        "console/community/poll.html",
        poll=found,
        results=results,
        chart=chart,
        name_of=_name,
        title=_l("Poll"),
    )


@bp.route("/events/<event_id>")
def event(event_id: str):
    found = events.get_event(event_id)
    rows = db.session.execute(
        select(Rsvp, Member.name)
        .join(Member, Member.id == Rsvp.member_id)
        .where(Rsvp.event_id == found.id)
        .order_by(Rsvp.seq)
    ).all()
    return page(
        "console/community/event.html",
        event=found,
        confirmed=[(r, name) for r, name in rows if r.status == waitlist.CONFIRMED],
        waiting=[(r, name) for r, name in rows if r.status == waitlist.WAITLISTED],
        title=_l("Event"),
    )


def _name(texts) -> str:
    if isinstance(texts, dict):
        return texts.get("en") or next(iter(texts.values()), "")
    return str(texts)
