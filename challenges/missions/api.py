"""Challenges (missions) over HTTP: members follow and join them, admins define them."""

from __future__ import annotations

from app.auth.guards import admin_required, current_member, member_required
from app.openapi import errors
from challenges.blueprints import admin_blp, member_blp
from challenges.missions import service
from challenges.missions.schemas import (
    ChallengeAdminSchema,
    ChallengeChangesSchema,
    ChallengeCreateSchema,
    ChallengeJoinedSchema,
    ChallengeSchema,
)
from challenges.schemas import in_member_language


@member_blp.route("/challenges", methods=["GET"])
@member_required
@in_member_language
@member_blp.response(200, ChallengeSchema(many=True))
def list_challenges():
    """Running challenges with the member's progress, window and reward."""
    return service.listing(current_member())


@member_blp.route("/challenges/<challenge_id>/join", methods=["POST"])
@member_required
@errors(403, "not_eligible")
@errors(404, "challenge_not_found")
@errors(409, "join_not_needed", "challenge_over")
@member_blp.response(201, ChallengeJoinedSchema, description="Joined now.")
@member_blp.alt_response(
    200, schema=ChallengeJoinedSchema, description="Joined before: the first time."
)
def join_challenge(challenge_id):
    """Opt in to a challenge; only what happens after joining counts."""
    joined, created = service.join(current_member(), challenge_id)
    return joined, 201 if created else 200


@admin_blp.route("/challenges", methods=["POST"])
@admin_required
@admin_blp.arguments(ChallengeCreateSchema)
@errors(409, "code_taken")
@errors(422, "invalid_challenge")
@admin_blp.response(201, ChallengeAdminSchema)
def create_challenge(data):
    return service.define(data)


# Named by `endpoint`: the members' view of that name is in this module too, and the
# operation id stays games_admin_list_challenges.
@admin_blp.route("/challenges", methods=["GET"], endpoint="list_challenges")
@admin_required
@admin_blp.response(200, ChallengeAdminSchema(many=True))
def admin_list_challenges():
    """The latest 200 challenges, newest first."""
    return service.latest()


@admin_blp.route("/challenges/<challenge_id>", methods=["GET"])
@admin_required
@errors(404, "challenge_not_found")
@admin_blp.response(200, ChallengeAdminSchema)
def get_challenge(challenge_id):
    return service.challenge_by_id(challenge_id)


@admin_blp.route("/challenges/<challenge_id>", methods=["PATCH"])
@admin_required
@admin_blp.arguments(ChallengeChangesSchema(partial=True))
@errors(404, "challenge_not_found")
@errors(422, "invalid_challenge")
@admin_blp.response(200, ChallengeAdminSchema)
def patch_challenge(changes, challenge_id):
    return service.change(challenge_id, changes)


@admin_blp.route("/challenges/<challenge_id>", methods=["DELETE"])
@admin_required
@errors(404, "challenge_not_found")
@admin_blp.response(200, ChallengeAdminSchema)
def retire_challenge(challenge_id):
    """Challenges are retired, not deleted: progress and completions keep pointing at them."""
    return service.retire(challenge_id)
