"""What the games' endpoints accept (marshmallow; unknown fields are an error)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.i18n import LANGUAGES
from app.schemas import MAX_AMOUNT, localized_texts, money_amount

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,59}$", error="Lowercase letters, digits, - and _.")

# The rule lives in challenges.rules.quiz_scoring.answers_visible; this is what admins read.
SHOW_ANSWERS_DOC = (
    "Show the right options as soon as an attempt is submitted, but only once the member has no "
    "attempts left (none unused, none still open). Otherwise, and always when false, answers "
    "are shown once the quiz has closed and the grace period after its end has passed. "
    "Raising attempts_allowed later gives members who already saw the answers another go."
)


localized = localized_texts


def description() -> fields.Dict:
    return fields.Dict(
        keys=fields.Str(validate=validate.OneOf(LANGUAGES)),
        values=fields.Str(validate=validate.Length(max=2000)),
        load_default=dict,
    )


def _known_segment(segment_id: str) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.segments.models import Segment

    if db.session.scalar(select(Segment.id).where(Segment.public_id == segment_id)) is None:
        raise ValidationError("Unknown segment.")


class EligibilityFields(Schema):
    tiers = fields.List(fields.Str(validate=validate.Length(max=20)), load_default=list)
    member_ids = fields.List(
        fields.Str(validate=validate.Length(max=32)),
        load_default=list,
        validate=validate.Length(max=10_000),
    )
    segment_id = fields.Str(
        load_default=None, allow_none=True, validate=[validate.Length(max=64), _known_segment]
    )


class OptionSchema(Schema):
    text = localized()
    is_correct = fields.Bool(required=True)


class QuestionSchema(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(("single", "multiple")))
    text = localized(max_length=1000)
    options = fields.List(
        fields.Nested(OptionSchema), required=True, validate=validate.Length(min=2, max=10)
    )


class QuizCreateSchema(EligibilityFields):
    code = fields.Str(load_default=None, allow_none=True, validate=CODE)
    title = localized(max_length=200)
    description = description()
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    time_limit_seconds = fields.Int(required=True, validate=validate.Range(min=5, max=86_400))
    attempts_allowed = fields.Int(load_default=1, validate=validate.Range(min=1, max=100))
    reward_kind = fields.Str(required=True, validate=validate.OneOf(("per_correct", "pass_mark")))
    points_per_correct = fields.Int(load_default=0, validate=validate.Range(min=0, max=100_000))
    pass_mark = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=1))
    prize_points = fields.Int(load_default=0, validate=validate.Range(min=0, max=1_000_000))
    prize_badge_code = fields.Str(load_default=None, allow_none=True)
    show_answers_after_submit = fields.Bool(
        load_default=False, metadata={"description": SHOW_ANSWERS_DOC}
    )
    active = fields.Bool(load_default=True)
    questions = fields.List(
        fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=100)
    )

    @validates_schema
    def _reward(self, data: dict, **_: object) -> None:
        if data["reward_kind"] == "per_correct" and not data.get("points_per_correct"):
            raise ValidationError("Give points_per_correct.", "points_per_correct")
        if data["reward_kind"] == "pass_mark":
            if data.get("pass_mark") is None:
                raise ValidationError("Give pass_mark.", "pass_mark")
            if not data.get("prize_points") and not data.get("prize_badge_code"):
                raise ValidationError("Give prize_points or prize_badge_code.", "prize_points")


class QuizChangesSchema(EligibilityFields):
    """What may change once a quiz exists (its questions may not: attempts are scored on them)."""

    title = localized(max_length=200)
    description = description()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    attempts_allowed = fields.Int(validate=validate.Range(min=1, max=100))
    show_answers_after_submit = fields.Bool(metadata={"description": SHOW_ANSWERS_DOC})
    active = fields.Bool()


class SubmitSchema(Schema):
    answers = fields.Dict(
        keys=fields.Str(validate=validate.Length(max=32)),
        values=fields.List(
            fields.Str(validate=validate.Length(max=32)), validate=validate.Length(max=20)
        ),
        required=True,
        validate=validate.Length(max=200),
    )


GOALS = (
    "purchase_count",
    "total_spend",
    "distinct_stores",
    "channel_purchases",
    "quizzes_completed",
)


class ChallengeCreateSchema(EligibilityFields):
    code = fields.Str(load_default=None, allow_none=True, validate=CODE)
    name = localized(max_length=200)
    description = description()
    goal_kind = fields.Str(required=True, validate=validate.OneOf(GOALS))
    target = fields.Int(required=True, validate=validate.Range(min=1, max=10**9))
    channel = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=20))
    currency = fields.Str(load_default=None, allow_none=True, validate=validate.Length(equal=3))
    min_amount = money_amount(
        load_default=None,
        allow_none=True,
        metadata={
            "description": 'A purchase goal\'s minimum purchase, e.g. "5.00": smaller purchases '
            "do not count, and a partial refund that leaves less uncounts the purchase."
        },
    )
    min_amount_minor = fields.Int(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=int(MAX_AMOUNT * 100)),
        metadata={"description": "The same minimum in minor units (cents); give one of the two."},
    )
    streak_unit = fields.Str(
        load_default=None, allow_none=True, validate=validate.OneOf(("day", "week"))
    )
    streak_length = fields.Int(
        load_default=None, allow_none=True, validate=validate.Range(min=2, max=366)
    )
    window_kind = fields.Str(required=True, validate=validate.OneOf(("fixed", "weekly", "monthly")))
    starts_on = fields.Date(load_default=None, allow_none=True)
    ends_on = fields.Date(load_default=None, allow_none=True)
    opt_in = fields.Bool(load_default=False)
    reward_points = fields.Int(load_default=0, validate=validate.Range(min=0, max=1_000_000))
    reward_badge_code = fields.Str(load_default=None, allow_none=True)
    active = fields.Bool(load_default=True)

    @validates_schema
    def _shape(self, data: dict, **_: object) -> None:
        if not data.get("reward_points") and not data.get("reward_badge_code"):
            raise ValidationError("Give reward_points or reward_badge_code.", "reward_points")
        if bool(data.get("streak_unit")) != bool(data.get("streak_length")):
            raise ValidationError("A streak needs streak_unit and streak_length.", "streak_unit")
        if data.get("min_amount") is not None and data.get("min_amount_minor") is not None:
            raise ValidationError("Give min_amount or min_amount_minor, not both.", "min_amount")
        has_minimum = data.get("min_amount") is not None or data.get("min_amount_minor")
        if has_minimum and data["goal_kind"] == "quizzes_completed":
            raise ValidationError(
                "A minimum purchase applies to purchase goals only.", "min_amount"
            )


class ChallengeChangesSchema(EligibilityFields):
    name = localized(max_length=200)
    description = description()
    ends_on = fields.Date(allow_none=True)
    reward_points = fields.Int(validate=validate.Range(min=0, max=1_000_000))
    active = fields.Bool()


class PrizeBandSchema(Schema):
    first_rank = fields.Int(required=True, validate=validate.Range(min=1, max=10_000))
    last_rank = fields.Int(required=True, validate=validate.Range(min=1, max=10_000))
    points = fields.Int(load_default=0, validate=validate.Range(min=0, max=10_000_000))
    badge_code = fields.Str(load_default=None, allow_none=True)
    reward_id = fields.Str(load_default=None, allow_none=True)


class ContestCreateSchema(EligibilityFields):
    code = fields.Str(load_default=None, allow_none=True, validate=CODE)
    kind = fields.Str(required=True, validate=validate.OneOf(("leaderboard", "sweepstakes")))
    name = localized(max_length=200)
    description = description()
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    metric = fields.Str(load_default=None, allow_none=True)
    prizes = fields.List(
        fields.Nested(PrizeBandSchema), required=True, validate=validate.Length(min=1, max=50)
    )
    min_score = fields.Int(load_default=1, validate=validate.Range(min=0))
    one_prize_per_holder = fields.Bool(load_default=True)
    free_entry = fields.Bool(load_default=False)
    entries_per_purchase = fields.Int(load_default=0, validate=validate.Range(min=0, max=100))
    entries_per_quiz = fields.Int(load_default=0, validate=validate.Range(min=0, max=100))


class ContestChangesSchema(EligibilityFields):
    name = localized(max_length=200)
    description = description()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    prizes = fields.List(fields.Nested(PrizeBandSchema), validate=validate.Length(min=1, max=50))
    min_score = fields.Int(validate=validate.Range(min=0))
    free_entry = fields.Bool()


class BadgeSchema(Schema):
    code = fields.Str(required=True, validate=CODE)
    image_url = fields.Url(required=True, validate=validate.Length(max=500))
    name = localized(max_length=120)
    description = description()


class BadgeChangesSchema(Schema):
    image_url = fields.Url(validate=validate.Length(max=500))
    name = localized(max_length=120)
    description = description()


class LeaderboardArgs(Schema):
    limit = fields.Int(load_default=10, validate=validate.Range(min=1, max=100))
