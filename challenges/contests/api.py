"""Contests over HTTP: members follow them, enter sweepstakes and check draws; admins define
and close them."""

from __future__ import annotations

from app import audit
from app.auth.guards import admin_required, current_member, member_required
from app.openapi import errors
from app.schemas import Augmented
from challenges.blueprints import admin_blp, member_blp
from challenges.contests import service, settle
from challenges.contests.schemas import (
    ClosedContestSchema,
    ContestAdminSchema,
    ContestChangesSchema,
    ContestCreateSchema,
    ContestDrawSchema,
    ContestEntrySchema,
    ContestSchema,
    LeaderboardArgs,
    LeaderboardSchema,
)
from challenges.schemas import in_member_language


@member_blp.route("/contests", methods=["GET"])
@member_required
@in_member_language
@member_blp.response(200, ContestSchema(many=True))
def list_contests():
    """Running contests, and those settling (ended, prizes to be decided)."""
    return service.listing(current_member())


@member_blp.route("/contests/<contest_id>", methods=["GET"])
@member_required
@in_member_language
@errors(403, "not_eligible")
@errors(404, "contest_not_found")
@member_blp.response(200, ContestSchema)
def get_contest(contest_id):
    member = current_member()
    return service.shown(service.get_open_to(member, contest_id), member)


@member_blp.route("/contests/<contest_id>/leaderboard", methods=["GET"])
@member_required
@member_blp.arguments(LeaderboardArgs, location="query")
@errors(403, "not_eligible")
@errors(404, "contest_not_found")
@errors(409, "not_a_leaderboard")
@member_blp.response(200, LeaderboardSchema)
def leaderboard(args, contest_id):
    """The top N and the member's own rank."""
    member = current_member()
    return service.leaderboard(service.get_open_to(member, contest_id), member, args["limit"])


@member_blp.route("/contests/<contest_id>/entries", methods=["POST"])
@member_required
@errors(403, "not_eligible")
@errors(404, "contest_not_found")
@errors(409, "not_a_sweepstakes", "outside_window", "free_entry_not_offered", "already_entered")
@member_blp.response(201, ContestEntrySchema)
def enter(contest_id):
    """The one free entry to a sweepstakes."""
    return service.free_entry(current_member(), contest_id)


@member_blp.route("/contests/<contest_id>/draw", methods=["GET"])
@member_required
@errors(403, "not_eligible")
@errors(404, "contest_not_found")
@errors(409, "not_a_sweepstakes")
@member_blp.response(200, ContestDrawSchema)
def contest_draw(contest_id):
    """The commitment from the start; after the draw also the seed, the entries, the winners
    and how to recompute them."""
    member = current_member()
    return service.draw_state(service.get_open_to(member, contest_id), member)


@admin_blp.route("/contests", methods=["POST"])
@admin_required
@admin_blp.arguments(ContestCreateSchema)
@errors(409, "code_taken")
@errors(422, "invalid_prizes")
@admin_blp.response(201, ContestAdminSchema)
def create_contest(data):
    return service.define(data)


# Named by `endpoint`: the members' view of that name is in this module too, and the
# operation id stays games_admin_list_contests.
@admin_blp.route("/contests", methods=["GET"], endpoint="list_contests")
@admin_required
@admin_blp.response(200, ContestAdminSchema(many=True))
def admin_list_contests():
    """The latest 200 contests, newest first."""
    return service.latest()


# Named by `endpoint` (see above): the operation id stays games_admin_get_contest.
@admin_blp.route("/contests/<contest_id>", methods=["GET"], endpoint="get_contest")
@admin_required
@errors(404, "contest_not_found")
@admin_blp.response(200, ContestAdminSchema)
def admin_get_contest(contest_id):
    return service.with_awards(service.contest_by_id(contest_id))


@admin_blp.route("/contests/<contest_id>", methods=["PATCH"])
@admin_required
@admin_blp.arguments(ContestChangesSchema(partial=True))
@errors(404, "contest_not_found")
@errors(409, "contest_closed", "contest_running")
@errors(422, "invalid_prizes")
@admin_blp.response(200, ContestAdminSchema)
def patch_contest(changes, contest_id):
    """Moving `ends_at` into the past ends the contest now (what it counted stays counted)."""
    return service.change(contest_id, changes)


@admin_blp.route("/contests/<contest_id>/close", methods=["POST"])
@admin_required
@errors(404, "contest_not_found")
@errors(409, "contest_running")
@admin_blp.response(200, ClosedContestSchema)
def close_contest(contest_id):
    """Close a contest whose end has passed now, rather than waiting for the scheduled job; a
    settling contest whose `settles_at` has passed is settled (its prizes paid)."""
    audit.record("contest.close", service.contest_by_id(contest_id), schema=ContestAdminSchema)
    contest, moved = settle.close_now(contest_id)
    return Augmented(service.with_awards(contest), closed_by_this_call=moved)
