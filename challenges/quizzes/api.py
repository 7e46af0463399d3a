"""Quizzes over HTTP: members play them, admins define them."""

from __future__ import annotations

from app.auth.guards import admin_required, current_member, member_required
from app.openapi import errors
from challenges.blueprints import admin_blp, member_blp
from challenges.quizzes import service
from challenges.quizzes.schemas import (
    QuizAdminSchema,
    QuizAttemptSchema,
    QuizChangesSchema,
    QuizCreateSchema,
    QuizSchema,
    SubmitSchema,
    SubmittedQuizAttemptSchema,
)
from challenges.schemas import in_member_language

# What a submission's answers can get wrong (challenges.rules.quiz_scoring).
ANSWER_ERRORS = (
    "unknown_question",
    "invalid_answer",
    "unknown_option",
    "duplicate_option",
    "too_many_options",
)


@member_blp.route("/quizzes", methods=["GET"])
@member_required
@in_member_language
@member_blp.response(200, QuizSchema(many=True))
def list_quizzes():
    """Quizzes the member can play now, in the member's language."""
    return service.playable(current_member())


@member_blp.route("/quizzes/<quiz_id>/attempts", methods=["POST"])
@member_required
@in_member_language
@errors(403, "not_eligible")
@errors(404, "quiz_not_found")
@errors(409, "quiz_not_open", "quiz_closed", "no_attempts_left", "attempt_in_progress")
@member_blp.response(201, QuizAttemptSchema)
def start_attempt(quiz_id):
    """Start an attempt: the questions and the deadline, never which options are right."""
    return service.start(current_member(), quiz_id)


@member_blp.route("/quiz-attempts/<attempt_id>/submit", methods=["POST"])
@member_required
@in_member_language
@member_blp.arguments(SubmitSchema)
@errors(404, "quiz_attempt_not_found")
@errors(409, "deadline_passed")
@errors(422, *ANSWER_ERRORS)
@member_blp.response(200, SubmittedQuizAttemptSchema)
def submit_attempt(data, attempt_id):
    """Score the attempt once; submitting again returns the first result."""
    return service.submitted(current_member(), attempt_id, data["answers"])


@member_blp.route("/quiz-attempts/<attempt_id>", methods=["GET"])
@member_required
@in_member_language
@errors(404, "quiz_attempt_not_found")
@member_blp.response(200, QuizAttemptSchema)
def get_attempt(attempt_id):
    member = current_member()
    return service.shown_attempt(service.own_attempt(member, attempt_id), member)


@admin_blp.route("/quizzes", methods=["POST"])
@admin_required
@admin_blp.arguments(QuizCreateSchema)
@errors(409, "code_taken")
@errors(422, "invalid_quiz")
@admin_blp.response(201, QuizAdminSchema)
def create_quiz(data):
    return service.define(data)


# Named by `endpoint`: the members' view of that name is in this module too, and the
# operation id stays games_admin_list_quizzes.
@admin_blp.route("/quizzes", methods=["GET"], endpoint="list_quizzes")
@admin_required
@admin_blp.response(200, QuizAdminSchema(many=True))
def admin_list_quizzes():
    """The latest 200 quizzes, newest first."""
    return service.latest()


@admin_blp.route("/quizzes/<quiz_id>", methods=["GET"])
@admin_required
@errors(404, "quiz_not_found")
@admin_blp.response(200, QuizAdminSchema)
def get_quiz(quiz_id):
    return service.with_questions(service.quiz_by_id(quiz_id))


@admin_blp.route("/quizzes/<quiz_id>", methods=["PATCH"])
@admin_required
@admin_blp.arguments(QuizChangesSchema(partial=True))
@errors(404, "quiz_not_found")
@errors(422, "invalid_quiz")
@admin_blp.response(200, QuizAdminSchema)
def patch_quiz(changes, quiz_id):
    return service.change(quiz_id, changes)


@admin_blp.route("/quizzes/<quiz_id>", methods=["DELETE"])
@admin_required
@errors(404, "quiz_not_found")
@admin_blp.response(200, QuizAdminSchema)
def retire_quiz(quiz_id):
    """Quizzes are retired, not deleted: attempts keep pointing at them."""
    return service.retire(quiz_id)
