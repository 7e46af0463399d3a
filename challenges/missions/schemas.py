"""What goes in and out over HTTP for challenges (missions): an admin's definition, and a
member's list with their progress, window and reward."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas import MAX_AMOUNT, PublicId, computed, from_minor, money_amount
from challenges.badges.schemas import BadgeCode, BadgeSchema
from challenges.missions.models import Challenge
from challenges.schemas import (
    CODE,
    EligibilityFields,
    Localized,
    Whole,
    description,
    eligibility_fields,
    localized,
    reader,
    texts,
)
from challenges.texts import progress_label

GOALS = (
    "purchase_count",
    "total_spend",
    "distinct_stores",
    "channel_purchases",
    "quizzes_completed",
)
WINDOWS = ("fixed", "weekly", "monthly")
STREAK_UNITS = ("day", "week")
MIN_AMOUNT_DOC = (
    'A purchase goal\'s minimum purchase, e.g. "5.00": smaller purchases do not count, and a '
    "partial refund that leaves less uncounts the purchase."
)


def _min_amount(ch: Challenge) -> str | None:
    return from_minor(ch.min_amount_minor) if ch.min_amount_minor else None


# In.


class ChallengeCreateSchema(EligibilityFields):
    code = fields.Str(load_default=None, allow_none=True, validate=CODE)
    name = localized(max_length=200)
    description = description()
    goal_kind = fields.Str(required=True, validate=validate.OneOf(GOALS))
    target = fields.Int(required=True, validate=validate.Range(min=1, max=10**9))
    channel = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=20))
    currency = fields.Str(load_default=None, allow_none=True, validate=validate.Length(equal=3))
    min_amount = money_amount(
        load_default=None, allow_none=True, metadata={"description": MIN_AMOUNT_DOC}
    )
    min_amount_minor = fields.Int(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=int(MAX_AMOUNT * 100)),
        metadata={"description": "The same minimum in minor units (cents); give one of the two."},
    )
    streak_unit = fields.Str(
        load_default=None, allow_none=True, validate=validate.OneOf(STREAK_UNITS)
    )
    streak_length = fields.Int(
        load_default=None, allow_none=True, validate=validate.Range(min=2, max=366)
    )
    window_kind = fields.Str(required=True, validate=validate.OneOf(WINDOWS))
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


# Out: the admin's view.


class ChallengeAdminSchema(Schema):
    """A challenge as its admin defined it: texts by language."""

    id = fields.Str(attribute="public_id", required=True)
    code = fields.Str(required=True, allow_none=True)
    name = texts(required=True)
    description = texts(required=True)
    goal_kind = fields.Str(required=True, validate=validate.OneOf(GOALS))
    target = fields.Int(required=True)
    channel = fields.Str(required=True, allow_none=True)
    currency = fields.Str(required=True, allow_none=True)
    min_amount_minor = fields.Int(required=True)
    min_amount = computed(
        _min_amount,
        "string",
        required=True,
        allow_none=True,
        metadata={"format": "decimal", "description": MIN_AMOUNT_DOC},
    )
    streak_unit = fields.Str(required=True, allow_none=True, validate=validate.OneOf(STREAK_UNITS))
    streak_length = fields.Int(required=True, allow_none=True)
    window_kind = fields.Str(required=True, validate=validate.OneOf(WINDOWS))
    starts_on = fields.Date(required=True, allow_none=True)
    ends_on = fields.Date(required=True, allow_none=True)
    opt_in = fields.Bool(required=True)
    reward_points = fields.Int(required=True)
    reward_badge_code = BadgeCode(attribute="reward_badge_id", required=True, allow_none=True)
    tiers, member_ids, segment_id = eligibility_fields()
    active = fields.Bool(required=True)


# Out: the member's views.


class ChallengeStreakSchema(Schema):
    unit = fields.Str(attribute="streak_unit", required=True, validate=validate.OneOf(STREAK_UNITS))
    length = fields.Int(attribute="streak_length", required=True)


class ChallengeGoalSchema(Schema):
    kind = fields.Str(attribute="goal_kind", required=True, validate=validate.OneOf(GOALS))
    target = fields.Int(required=True)
    channel = fields.Str(required=True, allow_none=True)
    currency = fields.Str(required=True, allow_none=True)
    min_amount_minor = fields.Int(required=True)
    min_amount = computed(
        _min_amount,
        "string",
        required=True,
        allow_none=True,
        metadata={"format": "decimal", "description": MIN_AMOUNT_DOC},
    )
    streak = Whole(
        ChallengeStreakSchema,
        when=lambda ch: ch.streak_unit,
        required=True,
        metadata={"description": "A streak goal: the target per period, `length` in a row."},
    )


class ChallengeWindowSchema(Schema):
    """The window running now, in the member's timezone (times in UTC)."""

    kind = fields.Str(required=True, validate=validate.OneOf(WINDOWS))
    key = fields.Str(required=True, metadata={"description": 'e.g. "2026-W48", "2026-11".'})
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True, metadata={"description": "Exclusive."})


def _label(shown: object) -> str:
    ch = shown.challenge  # type: ignore[attr-defined]
    language, _ = reader()
    return progress_label(
        ch.goal_kind,
        shown.current,  # type: ignore[attr-defined]
        shown.target,  # type: ignore[attr-defined]
        language,
        currency=ch.currency,
        streak_unit=ch.streak_unit,
    )


class ChallengeProgressSchema(Schema):
    current = fields.Int(
        required=True,
        metadata={"description": "Purchases, minor units, stores, quizzes, or periods in a row."},
    )
    target = fields.Int(required=True)
    completed = fields.Bool(required=True)
    label = computed(
        _label, "string", required=True, metadata={"description": '"2 of 3 purchases".'}
    )


class ChallengeRewardSchema(Schema):
    points = fields.Int(attribute="reward_points", required=True)
    badge = fields.Nested(BadgeSchema, attribute="reward_badge", required=True, allow_none=True)
    status = fields.Str(
        attribute="reward_status",
        required=True,
        allow_none=True,
        validate=validate.OneOf(("pending", "granted")),
        metadata={
            "description": "This window's reward: `pending` until the purchases behind it can "
            "no longer be returned, then `granted`; null while not completed."
        },
    )
    available_at = fields.DateTime(
        attribute="reward_available_at",
        required=True,
        allow_none=True,
        metadata={"description": "While pending: when it becomes available."},
    )


class ChallengeSchema(Schema):
    """A running challenge as the member sees it, in the member's language."""

    id = fields.Str(attribute="public_id", required=True)
    name = Localized(required=True)
    description = Localized(required=True)
    goal = Whole(ChallengeGoalSchema, required=True)
    window = fields.Nested(ChallengeWindowSchema, required=True)
    opt_in = fields.Bool(required=True)
    joined = fields.Bool(
        required=True, metadata={"description": "Always true unless the challenge is opt-in."}
    )
    progress = fields.Nested(ChallengeProgressSchema, required=True)
    reward = Whole(ChallengeRewardSchema, required=True)


class ChallengeJoinedSchema(Schema):
    challenge_id = PublicId(Challenge, required=True)
    joined_at = fields.DateTime(
        required=True, metadata={"description": "Only what happens from then on counts."}
    )
