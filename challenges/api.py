"""Members' endpoints: play quizzes, follow challenges, enter contests, see badges."""

from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from app.extensions import db
from challenges.badges import service as badges
from challenges.common import default_language
from challenges.contests import service as contests
from challenges.missions import service as missions
from challenges.quizzes import service as quizzes
from challenges.schemas import LeaderboardArgs, SubmitSchema

blp = Blueprint(
    "games", __name__, url_prefix="/api/v1", description="Quizzes, challenges, contests"
)


@blp.route("/quizzes", methods=["GET"])
@member_required
@blp.response(200)
def list_quizzes():
    """Quizzes the member can play now, in the member's language."""
    return jsonify(quizzes.playable(current_member()))


@blp.route("/quizzes/<quiz_id>/attempts", methods=["POST"])
@member_required
@blp.response(201)
def start_attempt(quiz_id):
    """Start an attempt: the questions and the deadline, never which options are right."""
    member = current_member()
    attempt = quizzes.start_attempt(member, quiz_id)
    db.session.commit()
    return jsonify(quizzes.attempt_view(attempt, member)), 201


@blp.route("/quiz-attempts/<attempt_id>/submit", methods=["POST"])
@member_required
@blp.arguments(SubmitSchema)
@blp.response(200)
def submit_attempt(data, attempt_id):
    """Score the attempt once; submitting again returns the first result."""
    member = current_member()
    attempt, replayed = quizzes.submit(member, attempt_id, data["answers"])
    return jsonify(quizzes.attempt_view(attempt, member) | {"replayed": replayed})


@blp.route("/quiz-attempts/<attempt_id>", methods=["GET"])
@member_required
@blp.response(200)
def get_attempt(attempt_id):
    member = current_member()
    return jsonify(quizzes.attempt_view(quizzes.own_attempt(member, attempt_id), member))


@blp.route("/challenges", methods=["GET"])
@member_required
@blp.response(200)
def list_challenges():
    """Running challenges with the member's progress, window and reward."""
    return jsonify(missions.listing(current_member()))


@blp.route("/challenges/<challenge_id>/join", methods=["POST"])
@member_required
@blp.response(201)
def join_challenge(challenge_id):
    """Opt in to a challenge; only what happens after joining counts."""
    joined_at, created = missions.join(current_member(), challenge_id)
    db.session.commit()
    body = {"challenge_id": challenge_id, "joined_at": joined_at.isoformat()}
    return jsonify(body), 201 if created else 200


@blp.route("/contests", methods=["GET"])
@member_required
@blp.response(200)
def list_contests():
    return jsonify(contests.listing(current_member()))


@blp.route("/contests/<contest_id>", methods=["GET"])
@member_required
@blp.response(200)
def get_contest(contest_id):
    member = current_member()
    return jsonify(contests.member_view(contests.get_open_to(member, contest_id), member))


@blp.route("/contests/<contest_id>/leaderboard", methods=["GET"])
@member_required
@blp.arguments(LeaderboardArgs, location="query")
@blp.response(200)
def leaderboard(args, contest_id):
    """The top N and the member's own rank."""
    member = current_member()
    contest = contests.get_open_to(member, contest_id)
    return jsonify(contests.leaderboard_view(contest, member, args["limit"]))


@blp.route("/contests/<contest_id>/entries", methods=["POST"])
@member_required
@blp.response(201)
def enter(contest_id):
    """The one free entry to a sweepstakes."""
    member = current_member()
    entry = contests.free_entry(member, contest_id)
    db.session.commit()
    contest = contests.get_open_to(member, contest_id)
    return jsonify(
        {
            "id": entry.public_id,
            "contest_id": contest_id,
            "source": entry.source,
            "created_at": entry.created_at.isoformat(),
            "your_entries": contests.entry_count(contest, member.id),
        }
    ), 201


@blp.route("/contests/<contest_id>/draw", methods=["GET"])
@member_required
@blp.response(200)
def contest_draw(contest_id):
    """The commitment from the start; after the draw also the seed, the entries, the winners
    and how to recompute them."""
    member = current_member()
    return jsonify(contests.draw_view(contests.get_open_to(member, contest_id), member))


@blp.route("/me/badges", methods=["GET"])
@member_required
@blp.response(200)
def my_badges():
    return jsonify(badges.member_badges(current_member(), default_language()))
