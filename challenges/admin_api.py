"""Admins' endpoints: define quizzes, challenges, contests and badges; close contests."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth.guards import admin_required
from app.errors import ApiError
from app.extensions import db
from app.lookup import by_public_id
from app.members.models import Member
from app.models_base import utcnow
from app.schemas import to_minor
from app.tiers.service import check_tier_codes
from challenges.badges import service as badges
from challenges.badges.models import Badge
from challenges.contests import service as contests
from challenges.contests.models import Contest
from challenges.missions import service as missions
from challenges.missions.models import Challenge
from challenges.quizzes import service as quizzes
from challenges.quizzes.models import Quiz
from challenges.schemas import (
    BadgeChangesSchema,
    BadgeSchema,
    ChallengeChangesSchema,
    ChallengeCreateSchema,
    ContestChangesSchema,
    ContestCreateSchema,
    QuizChangesSchema,
    QuizCreateSchema,
)

blp = Blueprint(
    "games_admin", __name__, url_prefix="/api/v1/admin", description="Games: definitions"
)


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", message, {"fields": {field: [message]}})


def _check_eligibility(data: dict[str, Any]) -> None:
    if data.get("tiers"):
        check_tier_codes(data["tiers"])
    if data.get("member_ids"):
        wanted = set(data["member_ids"])
        found = set(
            db.session.scalars(select(Member.public_id).where(Member.public_id.in_(wanted)))
        )
        if wanted - found:
            raise _invalid("member_ids", f"Unknown member: {', '.join(sorted(wanted - found))}.")


def _check_code(model: type, code: str | None) -> None:
    if code and db.session.scalar(select(model.id).where(model.code == code)) is not None:
        raise ApiError(409, "code_taken", f"The code {code!r} is in use.")


# Quizzes.


@blp.route("/quizzes", methods=["POST"])
@admin_required
@blp.arguments(QuizCreateSchema)
@blp.response(201)
def create_quiz(data):
    _check_eligibility(data)
    _check_code(Quiz, data.get("code"))
    quiz = quizzes.create(data)
    db.session.commit()
    return jsonify(quizzes.admin_view(quiz)), 201


@blp.route("/quizzes", methods=["GET"])
@admin_required
@blp.response(200)
def list_quizzes():
    rows = db.session.scalars(select(Quiz).order_by(Quiz.id.desc()).limit(200))
    return jsonify([quizzes.admin_view(q) for q in rows])


@blp.route("/quizzes/<quiz_id>", methods=["GET"])
@admin_required
@blp.response(200)
def get_quiz(quiz_id):
    return jsonify(quizzes.admin_view(by_public_id(Quiz, quiz_id, "quiz")))


@blp.route("/quizzes/<quiz_id>", methods=["PATCH"])
@admin_required
@blp.arguments(QuizChangesSchema(partial=True))
@blp.response(200)
def patch_quiz(changes, quiz_id):
    _check_eligibility(changes)
    quiz = quizzes.update(by_public_id(Quiz, quiz_id, "quiz"), changes)
    db.session.commit()
    return jsonify(quizzes.admin_view(quiz))


@blp.route("/quizzes/<quiz_id>", methods=["DELETE"])
@admin_required
@blp.response(200)
def retire_quiz(quiz_id):
    """Quizzes are retired, not deleted: attempts keep pointing at them."""
    quiz = by_public_id(Quiz, quiz_id, "quiz")
    quiz.active = False
    db.session.commit()
    return jsonify(quizzes.admin_view(quiz))


# Challenges.


def _challenge_values(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    if "min_amount" in values or "min_amount_minor" in values:
        amount = values.pop("min_amount", None)
        minor = values.pop("min_amount_minor", None)
        values["min_amount_minor"] = to_minor(amount) if amount is not None else (minor or 0)
    if "reward_badge_code" in values:
        code = values.pop("reward_badge_code")
        badge = badges.badge_by_code(code)
        if code and badge is None:
            raise _invalid("reward_badge_code", "Unknown badge.")
        values["reward_badge_id"] = badge.id if badge else None
    return values


@blp.route("/challenges", methods=["POST"])
@admin_required
@blp.arguments(ChallengeCreateSchema)
@blp.response(201)
def create_challenge(data):
    _check_eligibility(data)
    _check_code(Challenge, data.get("code"))
    ch = Challenge(**_challenge_values(data))
    missions.check_rules(ch)
    db.session.add(ch)
    db.session.commit()
    return jsonify(missions.admin_view(ch)), 201


@blp.route("/challenges", methods=["GET"])
@admin_required
@blp.response(200)
def list_challenges():
    rows = db.session.scalars(select(Challenge).order_by(Challenge.id.desc()).limit(200))
    return jsonify([missions.admin_view(c) for c in rows])


@blp.route("/challenges/<challenge_id>", methods=["GET"])
@admin_required
@blp.response(200)
def get_challenge(challenge_id):
    return jsonify(missions.admin_view(by_public_id(Challenge, challenge_id, "challenge")))


@blp.route("/challenges/<challenge_id>", methods=["PATCH"])
@admin_required
@blp.arguments(ChallengeChangesSchema(partial=True))
@blp.response(200)
def patch_challenge(changes, challenge_id):
    _check_eligibility(changes)
    ch = by_public_id(Challenge, challenge_id, "challenge")
    for field, value in changes.items():
        setattr(ch, field, value)
    missions.check_rules(ch)
    db.session.commit()
    return jsonify(missions.admin_view(ch))


@blp.route("/challenges/<challenge_id>", methods=["DELETE"])
@admin_required
@blp.response(200)
def retire_challenge(challenge_id):
    ch = by_public_id(Challenge, challenge_id, "challenge")
    ch.active = False
    db.session.commit()
    return jsonify(missions.admin_view(ch))


# Contests.


@blp.route("/contests", methods=["POST"])
@admin_required
@blp.arguments(ContestCreateSchema)
@blp.response(201)
def create_contest(data):
    _check_eligibility(data)
    _check_code(Contest, data.get("code"))
    contest = contests.create(data)
    db.session.commit()
    return jsonify(contests.admin_view(contest)), 201


@blp.route("/contests", methods=["GET"])
@admin_required
@blp.response(200)
def list_contests():
    rows = db.session.scalars(select(Contest).order_by(Contest.id.desc()).limit(200))
    return jsonify([contests.admin_view(c) for c in rows])


@blp.route("/contests/<contest_id>", methods=["GET"])
@admin_required
@blp.response(200)
def get_contest(contest_id):
    return jsonify(contests.admin_view(by_public_id(Contest, contest_id, "contest")))


@blp.route("/contests/<contest_id>", methods=["PATCH"])
@admin_required
@blp.arguments(ContestChangesSchema(partial=True))
@blp.response(200)
def patch_contest(changes, contest_id):
    _check_eligibility(changes)
    contest = by_public_id(Contest, contest_id, "contest", lock=True)
    contests.update_contest(contest, changes)
    db.session.commit()
    return jsonify(contests.admin_view(contest))


@blp.route("/contests/<contest_id>/close", methods=["POST"])
@admin_required
@blp.response(200)
def close_contest(contest_id):
    """Close a contest whose end has passed now, rather than waiting for the scheduled job; a
    settling contest whose `settles_at` has passed is settled (its prizes paid)."""
    contest = by_public_id(Contest, contest_id, "contest")
    if contest.status == contests.OPEN and contest.ends_at > utcnow():
        raise ApiError(409, "contest_running", "The contest has not ended yet.")
    if contest.status == contests.OPEN:
        closed = contests.close(contest.id)
    elif contest.status == contests.SETTLING:
        closed = contests.settle(contest.id)
    else:
        closed = False
    db.session.expire_all()
    contest = by_public_id(Contest, contest_id, "contest")
    return jsonify(contests.admin_view(contest) | {"closed_by_this_call": closed})


# Badges.


def _badge_view(badge: Badge) -> dict:
    return {
        "id": badge.public_id,
        "code": badge.code,
        "image_url": badge.image_url,
        "name": badge.name,
        "description": badge.description,
    }


@blp.route("/badges", methods=["POST"])
@admin_required
@blp.arguments(BadgeSchema)
@blp.response(201)
def create_badge(data):
    _check_code(Badge, data["code"])
    badge = Badge(**data)
    db.session.add(badge)
    db.session.commit()
    return jsonify(_badge_view(badge)), 201


@blp.route("/badges", methods=["GET"])
@admin_required
@blp.response(200)
def list_badges():
    return jsonify([_badge_view(b) for b in db.session.scalars(select(Badge).order_by(Badge.id))])


@blp.route("/badges/<badge_id>", methods=["PATCH"])
@admin_required
@blp.arguments(BadgeChangesSchema(partial=True))
@blp.response(200)
def patch_badge(changes, badge_id):
    badge = by_public_id(Badge, badge_id, "badge")
    for field, value in changes.items():
        setattr(badge, field, value)
    db.session.commit()
    return jsonify(_badge_view(badge))
