"""The games' part of members' data (app.privacy): the export's sections.

Everything the games keep about a member is pseudonymous (the member's row id, public ids of
entries and attempts; leaderboards read names from the member row when they are shown, and an
ended membership already leaves every live board and draw), and quiz answers are option ids,
not free text: an erasure has nothing to remove here, and no games table is a log to prune.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import Flask
from marshmallow import Schema, fields
from sqlalchemy import select

from app.extensions import db
from app.members.models import Member
from app.privacy.export import register_export_part
from app.rewards.models import Reward
from app.schemas import PublicId, StrictSchema
from challenges.badges.models import Badge, MemberBadge
from challenges.contests.models import Contest, ContestEntry, ContestPrize, ContestStanding
from challenges.missions.models import (
    Challenge,
    ChallengeCompletion,
    ChallengeParticipant,
    ChallengeProgress,
)
from challenges.quizzes.models import Quiz, QuizAttempt

YIELD_PER = 500


class QuizAttemptExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    quiz_id = PublicId(Quiz, required=True)
    number = fields.Int(required=True)
    status = fields.Str(required=True)
    started_at = fields.DateTime(required=True)
    deadline = fields.DateTime(required=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    answers = fields.Dict(required=True, allow_none=True)
    correct_count = fields.Int(required=True, allow_none=True)
    points = fields.Int(required=True)


class ChallengeJoinExportSchema(StrictSchema):
    challenge_id = PublicId(Challenge, required=True)
    joined_at = fields.DateTime(required=True)


class ChallengeProgressExportSchema(StrictSchema):
    challenge_id = PublicId(Challenge, required=True)
    state = fields.Dict(required=True)
    updated_at = fields.DateTime(required=True)


class ChallengeCompletionExportSchema(StrictSchema):
    challenge_id = PublicId(Challenge, required=True)
    window_key = fields.Str(required=True)
    number = fields.Int(required=True)
    completed_at = fields.DateTime(required=True)
    held_until = fields.DateTime(required=True, allow_none=True)
    reversed_at = fields.DateTime(required=True, allow_none=True)


class ContestEntryExportSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    contest_id = PublicId(Contest, required=True)
    source = fields.Str(required=True)
    created_at = fields.DateTime(required=True)


class ContestStandingExportSchema(StrictSchema):
    contest_id = PublicId(Contest, required=True)
    score = fields.Int(required=True)
    reached_at = fields.DateTime(required=True)


class ContestPrizeExportSchema(StrictSchema):
    contest_id = PublicId(Contest, required=True)
    rank = fields.Int(required=True)
    score = fields.Int(required=True, allow_none=True)
    points = fields.Int(required=True)
    badge_id = PublicId(Badge, required=True, allow_none=True)
    reward_id = PublicId(Reward, required=True, allow_none=True)
    redemption_code = fields.Str(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class BadgeExportSchema(StrictSchema):
    badge_id = PublicId(Badge, required=True)
    source = fields.Str(required=True)
    granted_at = fields.DateTime(required=True)


def _rows(model: type) -> Callable[[Member], Iterator]:
    def read(member: Member) -> Iterator:
        return iter(
            db.session.scalars(
                select(model)
                .where(model.member_id == member.id)
                .order_by(model.id)
                .execution_options(yield_per=YIELD_PER)
            )
        )

    return read


PARTS: tuple[tuple[str, type[Schema], type, str], ...] = (
    ("quiz_attempts", QuizAttemptExportSchema, QuizAttempt, "Quizzes taken, with the answers."),
    ("challenges_joined", ChallengeJoinExportSchema, ChallengeParticipant, "Challenges opted in."),
    ("challenge_progress", ChallengeProgressExportSchema, ChallengeProgress, "Progress kept."),
    (
        "challenge_completions",
        ChallengeCompletionExportSchema,
        ChallengeCompletion,
        "Challenges completed.",
    ),
    ("contest_entries", ContestEntryExportSchema, ContestEntry, "Sweepstakes entries."),
    ("contest_standings", ContestStandingExportSchema, ContestStanding, "Leaderboard scores."),
    ("contest_prizes", ContestPrizeExportSchema, ContestPrize, "Prizes won."),
    ("badges", BadgeExportSchema, MemberBadge, "Badges held."),
)


def register(app: Flask) -> None:
    for name, schema, model, description in PARTS:
        register_export_part(app, name, schema, _rows(model), description=description)
