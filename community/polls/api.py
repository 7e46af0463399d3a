"""Product votes over HTTP: the admins' polls and results, the members' votes."""

from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth.guards import admin_required, current_member, member_required
from app.errors import ApiError
from app.extensions import db
from app.i18n import pick
from app.openapi import errors
from app.program.service import get_program
from app.schemas import Augmented
from community.interests.service import member_codes
from community.polls import service
from community.polls.models import Poll
from community.polls.schemas import (
    MemberPollSchema,
    PollAdminSchema,
    PollResultsSchema,
    VoteCreateSchema,
    VoteSchema,
)
from community.privacy import audit_change

blp = Blueprint("community_polls", __name__, url_prefix="/api/v1", description="Product votes")


@blp.route("/admin/polls", methods=["GET"])
@admin_required
@blp.response(200, PollAdminSchema(many=True))
def admin_list():
    return list(db.session.scalars(select(Poll).order_by(Poll.id.desc()).limit(200)))


@blp.route("/admin/polls", methods=["POST"])
@admin_required
@blp.arguments(PollAdminSchema)
@blp.response(201, PollAdminSchema)
def create(data):
    """A poll of candidate products, a window, who may vote (VIP: gold and platinum)."""
    poll = service.save_poll(Poll(), data)
    audit_change("poll.create", poll, PollAdminSchema, created=True)
    db.session.commit()
    return poll


@blp.route("/admin/polls/<poll_id>", methods=["PATCH"])
@admin_required
@errors(404, "poll_not_found")
@errors(409, "poll_closed", "poll_has_votes")
@blp.arguments(PollAdminSchema(partial=True))
@blp.response(200, PollAdminSchema)
def patch(changes, poll_id):
    poll = service.get_poll(poll_id)
    audit_change("poll.update", poll, PollAdminSchema)
    service.save_poll(poll, changes)
    db.session.commit()
    return poll


@blp.route("/admin/polls/<poll_id>/close", methods=["POST"])
@admin_required
@errors(404, "poll_not_found")
@errors(409, "poll_closed")
@blp.response(200, PollResultsSchema)
def close(poll_id):
    """Close the poll now: the winner is named and each voter told."""
    poll = service.get_poll(poll_id)
    audit_change("poll.close", poll, PollAdminSchema)
    if not service.close(poll):
        db.session.rollback()
        raise ApiError(409, "poll_closed", "This poll is closed.")
    db.session.commit()
    return service.results(poll)


@blp.route("/admin/polls/<poll_id>/results", methods=["GET"])
@admin_required
@errors(404, "poll_not_found")
@blp.response(200, PollResultsSchema)
def results(poll_id):
    return service.results(service.get_poll(poll_id))


def _member_view(poll: Poll, member, interests: list[str]) -> Augmented:
    default = get_program().default_language
    visible = service.results_visible(poll)
    tally = service.counts(poll) if visible else {}
    mine = {v.candidate_id for v in service.my_votes(poll, member)}
    by_id = {c.id: c.public_id for c in poll.candidates}
    candidates = [
        Augmented(
            c,
            name=pick(c.name, member.language, default),
            description=pick(c.description, member.language, default),
            votes=tally.get(c.id, 0) if visible else None,
        )
        for c in poll.candidates
    ]
    return Augmented(
        poll,
        title=pick(poll.title, member.language, default),
        description=pick(poll.description, member.language, default),
        my_votes=[by_id[c] for c in mine],
        results_visible=visible,
        for_you=bool(set(poll.interests or ()) & set(interests)),
        candidates=candidates,
    )


@blp.route("/polls", methods=["GET"])
@member_required
@blp.response(200, MemberPollSchema(many=True))
def mine():
    """Open polls the member may vote in (those matching the member's interests first), and
    closed ones the member voted in, with their winner."""
    member = current_member()
    interests = member_codes(member.id)
    views = [_member_view(p, member, interests) for p in service.polls_for(member)]
    return sorted(views, key=lambda v: not v.for_you)


@blp.route("/polls/<poll_id>/votes", methods=["POST"])
@member_required
@errors(403, "poll_not_eligible")
@errors(404, "poll_not_found")
@errors(409, "poll_closed", "poll_not_started", "already_voted", "vote_limit_reached")
@blp.arguments(VoteCreateSchema)
@blp.response(201, VoteSchema)
def vote(data, poll_id):
    """Vote for a candidate: once per candidate, up to the poll's votes per member."""
    poll = service.get_poll(poll_id)
    cast, left = service.vote(poll, current_member(), data["candidate_id"])
    return Augmented(
        cast, poll_id=poll.public_id, candidate_id=data["candidate_id"], votes_left=left
    )
