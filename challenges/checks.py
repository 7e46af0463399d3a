"""The games' rules in the ledger check (`flask points check`, `GET /api/v1/admin/ledger/check`):
what the games paid agrees with the ledger, one set-based query per rule."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.ledger.checks import Problem, register_check
from app.ledger.models import LedgerEntry
from app.ledger.service import reversal_key
from challenges.contests.models import CLOSED, Contest, ContestPrize
from challenges.missions.models import ChallengeCompletion


def register(app: Flask) -> None:
    """Add the games' rules to this app's ledger check (`init_app` does, so production's
    `flask points check` and every games test that asserts the check prove them too)."""
    register_check(app, "challenge_rewards", challenge_rewards)
    register_check(app, "contest_prizes", contest_prizes)


def challenge_rewards() -> Iterable[Problem]:
    """Per completion with points: its award entry exists, and a reversal entry exists exactly
    when the completion was taken back; per window, at most one completion stands."""
    award = aliased(LedgerEntry)
    reversal = aliased(LedgerEntry)
    suffix = reversal_key("")
    rows = db.session.execute(
        select(
            ChallengeCompletion.id,
            ChallengeCompletion.reward_key,
            ChallengeCompletion.reversed_at.is_not(None),
            award.id.is_not(None),
            reversal.id.is_not(None),
        )
        .outerjoin(award, award.idempotency_key == ChallengeCompletion.reward_key)
        .outerjoin(reversal, reversal.idempotency_key == ChallengeCompletion.reward_key + suffix)
        .where(ChallengeCompletion.reward_key.is_not(None))
    )
    for _, key, taken_back, awarded, reversed_ in rows:
        if not awarded or taken_back != reversed_:
            yield Problem(
                "challenge_rewards",
                key,
                {"awarded": awarded, "taken_back": taken_back, "reversal_entry": reversed_},
            )
    standing = db.session.execute(
        select(
            ChallengeCompletion.challenge_id,
            ChallengeCompletion.member_id,
            ChallengeCompletion.window_key,
            func.count(ChallengeCompletion.id),
        )
        .where(ChallengeCompletion.reversed_at.is_(None))
        .group_by(
            ChallengeCompletion.challenge_id,
            ChallengeCompletion.member_id,
            ChallengeCompletion.window_key,
        )
        .having(func.count(ChallengeCompletion.id) > 1)
    )
    for challenge_id, member_id, window_key, count in standing:
        yield Problem(
            "challenge_rewards",
            f"{challenge_id}:{member_id}:{window_key}",
            {"standing_completions": count},
        )


def contest_prizes() -> Iterable[Problem]:
    """Per contest prize with points: one ledger entry under its key, for those points, to the
    winner; prizes only for closed contests."""
    # The key of challenges.rules.prizes.prize_idempotency_key, built in SQL.
    key = literal("contest:") + Contest.public_id + ":prize:" + cast(ContestPrize.rank, String)
    rows = db.session.execute(
        select(
            Contest.public_id,
            Contest.status,
            ContestPrize.rank,
            ContestPrize.points,
            ContestPrize.member_id,
            LedgerEntry.available_delta,
            LedgerEntry.member_id,
        )
        .join(Contest, Contest.id == ContestPrize.contest_id)
        .outerjoin(LedgerEntry, LedgerEntry.idempotency_key == key)
    )
    for contest_id, status, rank, points, winner, paid, paid_to in rows:
        right = (paid or 0) == points and (not points or paid_to == winner)
        if status != CLOSED or not right:
            yield Problem(
                "contest_prizes",
                f"{contest_id}:{rank}",
                {"status": status, "points": points, "entry_points": paid},
            )
