"""What goes in and out over HTTP for contests: an admin's definition with the prizes paid, and
a member's views (the contest, its leaderboard, its draw, an entry)."""

from __future__ import annotations

from marshmallow import Schema, fields, post_dump, validate

from app.schemas import PublicId, computed
from challenges.badges.schemas import BadgeCode, BadgeSchema
from challenges.contests.models import KINDS, STATUSES, Contest
from challenges.contests.service import METRICS, TIE_RULE
from challenges.rules import draw
from challenges.schemas import (
    CODE,
    EligibilityFields,
    Localized,
    description,
    eligibility_fields,
    localized,
    texts,
)

SETTLES_AT_DOC = (
    "Once ended while something it counted can still be refunded (`settling`): when the "
    "prizes are decided, the end of the last counted purchase's return window."
)
STATUS_DOC = "`open` while it runs, `settling` until its prizes are decided, then `closed`."


# In.


class PrizeBandSchema(Schema):
    first_rank = fields.Int(required=True, validate=validate.Range(min=1, max=10_000))
    last_rank = fields.Int(required=True, validate=validate.Range(min=1, max=10_000))
    points = fields.Int(load_default=0, validate=validate.Range(min=0, max=10_000_000))
    badge_code = fields.Str(load_default=None, allow_none=True)
    reward_id = fields.Str(load_default=None, allow_none=True)


class ContestCreateSchema(EligibilityFields):
    code = fields.Str(load_default=None, allow_none=True, validate=CODE)
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
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


class LeaderboardArgs(Schema):
    limit = fields.Int(load_default=10, validate=validate.Range(min=1, max=100))


# Out: the admin's view.


class PrizeBandAdminSchema(Schema):
    """A prize band as defined: ranks (draw places for a sweepstakes) and what they win."""

    first_rank = fields.Int(required=True)
    last_rank = fields.Int(required=True)
    points = fields.Int()
    badge_code = fields.Str(allow_none=True)
    reward_id = fields.Str(allow_none=True)


class AwardedPrizeSchema(Schema):
    """A prize paid: to whom, for what score or draw entry."""

    rank = fields.Int(required=True)
    member_id = fields.Str(attribute="member_public_id", required=True)
    score = fields.Int(required=True, allow_none=True)
    entry_id = fields.Str(attribute="entry_public_id", required=True, allow_none=True)
    points = fields.Int(required=True)
    badge_code = BadgeCode(attribute="badge_id", required=True, allow_none=True)
    redemption_code = fields.Str(
        required=True, allow_none=True, metadata={"description": "A reward prize's code."}
    )


class ContestAdminSchema(Schema):
    """A contest as its admin defined it (texts by language), with the prizes it paid."""

    id = fields.Str(attribute="public_id", required=True)
    code = fields.Str(required=True, allow_none=True)
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
    name = texts(required=True)
    description = texts(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    status = fields.Str(
        required=True, validate=validate.OneOf(STATUSES), metadata={"description": STATUS_DOC}
    )
    closed_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "When play ended."}
    )
    settles_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": SETTLES_AT_DOC}
    )
    metric = fields.Str(required=True, allow_none=True, validate=validate.OneOf(METRICS))
    prizes = fields.Nested(PrizeBandAdminSchema, many=True, required=True)
    min_score = fields.Int(required=True)
    one_prize_per_holder = fields.Bool(required=True)
    free_entry = fields.Bool(required=True)
    entries_per_purchase = fields.Int(required=True)
    entries_per_quiz = fields.Int(required=True)
    commitment = fields.Str(
        required=True,
        allow_none=True,
        metadata={
            "description": "A sweepstakes' SHA-256 of its secret seed, public from the start."
        },
    )
    tiers, member_ids, segment_id = eligibility_fields()
    awarded = fields.Nested(AwardedPrizeSchema, many=True, required=True)


class ClosedContestSchema(ContestAdminSchema):
    closed_by_this_call = fields.Bool(
        required=True,
        metadata={"description": "False when it was not due or another closer moved it first."},
    )


# Out: the member's views.


class PrizeRewardSchema(Schema):
    id = fields.Str(attribute="public_id", required=True)
    name = fields.Str(required=True)


class ContestPrizeSchema(Schema):
    first_rank = fields.Int(required=True)
    last_rank = fields.Int(required=True)
    points = fields.Int(required=True)
    badge = fields.Nested(BadgeSchema, required=True, allow_none=True)
    reward = fields.Nested(PrizeRewardSchema, required=True, allow_none=True)


_LEADERBOARD_ONLY = ("metric", "min_score", "tie_rule")
_SWEEPSTAKES_ONLY = (
    "commitment",
    "free_entry",
    "entries_per_purchase",
    "entries_per_quiz",
    "one_prize_per_holder",
    "your_entries",
)


class ContestSchema(Schema):
    """A contest as the member sees it, in the member's language; a leaderboard's keys or a
    sweepstakes' keys, as its kind is."""

    id = fields.Str(attribute="public_id", required=True)
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
    name = Localized(required=True)
    description = Localized(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    status = fields.Str(
        required=True, validate=validate.OneOf(STATUSES), metadata={"description": STATUS_DOC}
    )
    settles_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": SETTLES_AT_DOC}
    )
    prizes = fields.Nested(ContestPrizeSchema, many=True, attribute="prizes_shown", required=True)
    metric = fields.Str(
        validate=validate.OneOf(METRICS), metadata={"description": "A leaderboard's."}
    )
    min_score = fields.Int(metadata={"description": "A leaderboard's: the least score to win."})
    tie_rule = computed(lambda _: TIE_RULE, "string", metadata={"description": "A leaderboard's."})
    commitment = fields.Str(
        metadata={"description": "A sweepstakes' SHA-256 of its secret seed (see its draw)."}
    )
    free_entry = fields.Bool(metadata={"description": "A sweepstakes'."})
    entries_per_purchase = fields.Int(metadata={"description": "A sweepstakes'."})
    entries_per_quiz = fields.Int(metadata={"description": "A sweepstakes'."})
    one_prize_per_holder = fields.Bool(metadata={"description": "A sweepstakes'."})
    your_entries = fields.Int(metadata={"description": "A sweepstakes': the member's entries."})

    @post_dump(pass_original=True)
    def _of_its_kind(self, data: dict, contest: Contest, **_: object) -> dict:
        other = _SWEEPSTAKES_ONLY if contest.kind == "leaderboard" else _LEADERBOARD_ONLY
        return {key: value for key, value in data.items() if key not in other}


class LeaderboardPlaceSchema(Schema):
    rank = fields.Int(required=True)
    score = fields.Int(required=True)
    name = fields.Str(required=True, metadata={"description": 'e.g. "Aino V.".'})
    is_you = fields.Bool(required=True)
    reached_at = fields.DateTime(
        required=True, metadata={"description": "When the score was reached (the tie rule)."}
    )


class LeaderboardOwnPlaceSchema(Schema):
    rank = fields.Int(required=True)
    score = fields.Int(required=True)


class LeaderboardSchema(Schema):
    contest_id = fields.Str(attribute="contest.public_id", required=True)
    status = fields.Str(
        attribute="contest.status", required=True, validate=validate.OneOf(STATUSES)
    )
    metric = fields.Str(attribute="contest.metric", required=True, validate=validate.OneOf(METRICS))
    tie_rule = computed(lambda _: TIE_RULE, "string", required=True)
    backend = fields.Str(
        required=True,
        validate=validate.OneOf(("redis", "sql")),
        metadata={"description": "Where the ranks were read."},
    )
    participants = fields.Int(required=True)
    top = fields.Nested(LeaderboardPlaceSchema, many=True, required=True)
    you = fields.Nested(LeaderboardOwnPlaceSchema, required=True, allow_none=True)


class ContestEntrySchema(Schema):
    id = fields.Str(attribute="public_id", required=True)
    contest_id = PublicId(Contest, required=True)
    source = fields.Str(required=True, validate=validate.OneOf(("free", "purchase", "quiz")))
    created_at = fields.DateTime(required=True)
    your_entries = fields.Int(required=True)


class DrawWinnerSchema(Schema):
    place = fields.Int(required=True)
    entry_id = fields.Str(required=True)
    holder_id = fields.Str(required=True, metadata={"description": "The member's public id."})


class DrawEntrySchema(Schema):
    entry_id = fields.Str(required=True)
    holder_id = fields.Str(required=True)


_AFTER_THE_DRAW = (
    "entry_digest",
    "places",
    "one_prize_per_holder",
    "winners",
    "how_to_recompute",
    "entries",
)


class ContestDrawSchema(Schema):
    """A sweepstakes' draw, verifiable by anyone: the commitment from the start; once drawn,
    the seed, every entry, the winners and how to recompute them (the rest is left out until
    then)."""

    contest_id = fields.Str(attribute="contest.public_id", required=True)
    status = fields.Str(
        attribute="contest.status", required=True, validate=validate.OneOf(STATUSES)
    )
    algorithm = computed(lambda _: draw.ALGORITHM, "string", required=True)
    commitment = fields.Str(attribute="contest.commitment", required=True, allow_none=True)
    drawn = computed(lambda state: state.contest.draw is not None, "boolean", required=True)
    entry_count = fields.Int(required=True)
    your_entries = fields.Int(required=True, allow_none=True)
    seed = computed(
        lambda state: state.made.get("seed"),
        "string",
        required=True,
        allow_none=True,
        metadata={"description": "Secret until the draw, then its hex."},
    )
    entry_digest = fields.Str(attribute="made.entry_digest")
    places = fields.Int(attribute="made.places")
    one_prize_per_holder = fields.Bool(attribute="made.one_prize_per_holder")
    winners = fields.Nested(DrawWinnerSchema, many=True, attribute="made.winners")
    how_to_recompute = fields.Str(attribute="made.instructions")
    entries = fields.Nested(DrawEntrySchema, many=True)

    @post_dump
    def _after_the_draw(self, data: dict, **_: object) -> dict:
        if data["drawn"]:
            return data
        return {key: value for key, value in data.items() if key not in _AFTER_THE_DRAW}
