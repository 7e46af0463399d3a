"""What goes in and out over HTTP for quizzes: an admin's definition (with the right options),
the member's list, and attempts (never the right options before they may be shown)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_dump, validate, validates_schema

from challenges.badges.schemas import BadgeCode, BadgeSchema
from challenges.schemas import (
    CODE,
    EligibilityFields,
    Localized,
    Whole,
    description,
    eligibility_fields,
    localized,
    texts,
)

REWARD_KINDS = ("per_correct", "pass_mark")
ATTEMPT_STATUSES = ("started", "submitted", "expired")
QUESTION_KINDS = ("single", "multiple")

# The rule lives in challenges.rules.quiz_scoring.answers_visible; this is what admins read.
SHOW_ANSWERS_DOC = (
    "Show the right options as soon as an attempt is submitted, but only once the member has no "
    "attempts left (none unused, none still open). Otherwise, and always when false, answers "
    "are shown once the quiz has closed and the grace period after its end has passed. "
    "Raising attempts_allowed later gives members who already saw the answers another go."
)


# In.


class OptionSchema(Schema):
    text = localized()
    is_correct = fields.Bool(required=True)


class QuestionSchema(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(QUESTION_KINDS))
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
    reward_kind = fields.Str(required=True, validate=validate.OneOf(REWARD_KINDS))
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


# Out: the admin's view.


class QuizAdminOptionSchema(Schema):
    id = fields.Str(attribute="public_id", required=True)
    text = texts(required=True)
    is_correct = fields.Bool(required=True)


class QuizAdminQuestionSchema(Schema):
    id = fields.Str(attribute="public_id", required=True)
    kind = fields.Str(required=True, validate=validate.OneOf(QUESTION_KINDS))
    text = texts(required=True)
    options = fields.Nested(QuizAdminOptionSchema, many=True, required=True)


class QuizAdminSchema(Schema):
    """A quiz as its admin defined it: texts by language, and which options are right."""

    id = fields.Str(attribute="public_id", required=True)
    code = fields.Str(required=True, allow_none=True)
    title = texts(required=True)
    description = texts(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    time_limit_seconds = fields.Int(required=True)
    attempts_allowed = fields.Int(required=True)
    reward_kind = fields.Str(required=True, validate=validate.OneOf(REWARD_KINDS))
    points_per_correct = fields.Int(required=True)
    pass_mark = fields.Int(required=True, allow_none=True)
    prize_points = fields.Int(required=True)
    prize_badge_code = BadgeCode(attribute="prize_badge_id", required=True, allow_none=True)
    show_answers_after_submit = fields.Bool(
        required=True, metadata={"description": SHOW_ANSWERS_DOC}
    )
    tiers, member_ids, segment_id = eligibility_fields()
    active = fields.Bool(required=True)
    questions = fields.Nested(QuizAdminQuestionSchema, many=True, required=True)


# Out: the member's views.

_REWARD_KEYS = {
    "per_correct": ("kind", "points_per_correct"),
    "pass_mark": ("kind", "pass_mark", "points", "badge"),
}


class QuizRewardSchema(Schema):
    """What a quiz pays: per correct answer, or a prize for reaching the pass mark (the keys
    of the other kind are left out)."""

    kind = fields.Str(attribute="reward_kind", required=True, validate=validate.OneOf(REWARD_KINDS))
    points_per_correct = fields.Int(metadata={"description": "per_correct: points per answer."})
    pass_mark = fields.Int(metadata={"description": "pass_mark: correct answers needed."})
    points = fields.Int(attribute="prize_points", metadata={"description": "pass_mark: the prize."})
    badge = fields.Nested(
        BadgeSchema,
        attribute="prize_badge",
        allow_none=True,
        metadata={"description": "pass_mark: the prize badge, if any."},
    )

    @post_dump(pass_original=True)
    def _of_its_kind(self, data: dict, quiz: object, **_: object) -> dict:
        keep = _REWARD_KEYS[data["kind"]]
        return {key: value for key, value in data.items() if key in keep}


class QuizSchema(Schema):
    """A quiz the member can play now, in the member's language."""

    id = fields.Str(attribute="public_id", required=True)
    title = Localized(required=True)
    description = Localized(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    time_limit_seconds = fields.Int(required=True)
    attempts_allowed = fields.Int(required=True)
    reward = Whole(QuizRewardSchema, required=True)
    attempts_left = fields.Int(required=True)


class QuizAttemptOptionSchema(Schema):
    id = fields.Str(attribute="public_id", required=True)
    text = Localized(required=True)


class QuizAttemptQuestionSchema(Schema):
    """A question of an attempt; what the member may not see yet is left out."""

    id = fields.Str(attribute="public_id", required=True)
    kind = fields.Str(required=True, validate=validate.OneOf(QUESTION_KINDS))
    text = Localized(required=True)
    options = fields.Nested(QuizAttemptOptionSchema, many=True, required=True)
    your_answer = fields.List(
        fields.Str(), metadata={"description": "Once submitted: the options chosen."}
    )
    correct_option_ids = fields.List(
        fields.Str(), metadata={"description": "Once `answers_visible`: the right options."}
    )
    answered_correctly = fields.Bool(
        allow_none=True, metadata={"description": "Once submitted and `answers_visible`."}
    )


class QuizResultSchema(Schema):
    correct_count = fields.Int(required=True)
    total = fields.Int(required=True)
    points = fields.Int(required=True)
    passed = fields.Bool(
        required=True, allow_none=True, metadata={"description": "null without a pass mark."}
    )


class QuizAttemptSchema(Schema):
    """An attempt, in the member's language."""

    id = fields.Str(attribute="public_id", required=True)
    quiz_id = fields.Str(attribute="quiz.public_id", required=True)
    title = Localized(attribute="quiz.title", required=True)
    number = fields.Int(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(ATTEMPT_STATUSES))
    started_at = fields.DateTime(required=True)
    deadline = fields.DateTime(
        required=True, metadata={"description": "Submit by then (a quiz closed early cuts it)."}
    )
    submitted_at = fields.DateTime(required=True, allow_none=True)
    answers_visible = fields.Bool(required=True)
    result = fields.Nested(QuizResultSchema, required=True, allow_none=True)
    questions = fields.Nested(QuizAttemptQuestionSchema, many=True, required=True)


class SubmittedQuizAttemptSchema(QuizAttemptSchema):
    replayed = fields.Bool(
        required=True,
        metadata={"description": "True when the attempt was submitted before: its first result."},
    )
