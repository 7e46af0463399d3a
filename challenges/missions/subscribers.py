"""Challenges (missions) on the core's events: progress, completions and their rewards.

The core publishes purchase.recorded / purchase.refunded inside its transaction; the handlers
here apply the event to each running challenge's progress row (locked while it changes), so
progress commits or rolls back with the purchase itself. A completed window is recorded in a
table unique per (challenge, member, window, number) and paid with a ledger key of its own: an
event delivered twice, or two completions racing, pay once.

Buy, collect, refund, keep: a reward earned by purchases is a pending ledger lot until the
return window of the latest purchase behind it has passed (the program's `return_window_days`
from when that purchase was recorded, the same clock as the purchase's own points). A refund
that drops the window's progress below the goal before then takes the reward back, exactly once
(`reverse_award` by its key), and the window can be completed again; once released, the reward
stays. Purchases that earned nothing (`no_points_reason`) and ended memberships count nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import events
from app.extensions import db
from app.ledger.service import award_points, reverse_award
from app.members.models import Member
from app.models_base import utcnow
from app.program.service import get_program
from app.purchases.models import Purchase
from challenges import live
from challenges.badges import service as badges
from challenges.common import default_language, earned_something, enabled
from challenges.eligibility import is_eligible
from challenges.missions import service
from challenges.missions.models import (
    Challenge,
    ChallengeCompletion,
    ChallengeParticipant,
    ChallengeProgress,
)
from challenges.rules import progress
from challenges.rules.progress import ChallengeState, GoalKind, Outcome, ProgressEvent
from challenges.texts import localize

PURCHASE_GOALS = tuple(k.value for k in GoalKind if k is not GoalKind.QUIZZES_COMPLETED)

# Published when a member completes a challenge's window (push notifications listen).
CHALLENGE_COMPLETED = "challenge.completed"
# Published when a refund took a held completion and its reward back.
CHALLENGE_REVERSED = "challenge.reversed"


def on_purchase_recorded(payload: dict[str, Any]) -> None:
    if not enabled() or not live.any_challenge_for(PURCHASE_GOALS):
        return  # known from the settings cache: a purchase reads no challenge
    challenges = list(
        db.session.scalars(
            select(Challenge).where(Challenge.active, Challenge.goal_kind.in_(PURCHASE_GOALS))
        )
    )
    if not challenges or not earned_something(payload["purchase_id"]):
        return
    event = progress.purchase_recorded(payload)
    member = db.session.get(Member, payload["member_id"])
    for ch in challenges:
        _apply(ch, member, event)


def on_purchase_refunded(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    event = progress.purchase_refunded(
        {
            "purchase_id": payload["purchase_id"],
            "refund_id": payload.get("refund_id"),
            # A full refund takes the whole contribution, whatever partial refunds came before.
            "amount_minor": None if payload.get("fully_refunded") else payload.get("amount_minor"),
        }
    )
    rows = list(
        db.session.scalars(
            select(ChallengeProgress)
            .where(ChallengeProgress.member_id == payload["member_id"])
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not rows:
        return
    member = db.session.get(Member, payload["member_id"])
    now = utcnow()
    for row in rows:
        ch = db.session.get(Challenge, row.challenge_id)
        state = ChallengeState.from_dict(row.state)
        result = progress.apply_event(service.rules_of(ch), state, event, member.timezone, now=now)
        if result.outcome is Outcome.REVERSED:
            row.state = state.to_dict()
            if result.uncompleted and result.window_key:
                _take_back(ch, member, result.window_key, now)


def on_quiz_completed(member: Member, attempt_public_id: str, at: datetime) -> None:
    if not enabled():
        return
    event = progress.quiz_completed(attempt_public_id, at)
    for ch in db.session.scalars(
        select(Challenge).where(
            Challenge.active, Challenge.goal_kind == GoalKind.QUIZZES_COMPLETED.value
        )
    ):
        _apply(ch, member, event)


def _apply(ch: Challenge, member: Member, event: ProgressEvent) -> None:
    if member.ended_at is not None or not is_eligible(ch, member):
        return
    counts_from = None
    if ch.opt_in:
        counts_from = db.session.scalar(
            select(ChallengeParticipant.joined_at).where(
                ChallengeParticipant.challenge_id == ch.id,
                ChallengeParticipant.member_id == member.id,
            )
        )
        if counts_from is None:
            return
    rules = service.rules_of(ch)
    row = _locked_progress(ch.id, member.id)
    state = ChallengeState.from_dict(row.state if row else {})
    result = progress.apply_event(rules, state, event, member.timezone, counts_from=counts_from)
    if result.outcome is not Outcome.COUNTED:
        return
    if row is None:
        row = _new_progress(ch.id, member.id)
        if row.state:  # created by a racing event after all: apply to what it holds
            state = ChallengeState.from_dict(row.state)
            result = progress.apply_event(
                rules, state, event, member.timezone, counts_from=counts_from
            )
            if result.outcome is not Outcome.COUNTED:
                return
    held_until = None
    if result.completed_now and result.window_key:
        held_until = _hold(ch, state, result.window_key)
        progress.hold_reward(state, result.window_key, held_until)
    row.state = state.to_dict()
    if result.completed_now and result.window_key:
        _complete(ch, member, result.window_key, event.occurred_at or utcnow(), held_until)


def _hold(ch: Challenge, state: ChallengeState, key: str) -> datetime | None:
    """Until when the reward of a completion can be taken back: the end of the return window
    of the latest purchase behind it; None when nothing can be returned (quizzes, or a window
    of zero days)."""
    if ch.goal_kind == GoalKind.QUIZZES_COMPLETED.value:
        return None
    purchase_ids = list(state.windows[key].contributions)
    latest = db.session.scalar(
        select(func.max(Purchase.created_at)).where(Purchase.public_id.in_(purchase_ids))
    )
    if latest is None:
        return None
    until = latest + timedelta(days=get_program().return_window_days)
    return until if until > utcnow() else None


def _locked_progress(challenge_id: int, member_id: int) -> ChallengeProgress | None:
    return db.session.scalar(
        select(ChallengeProgress)
        .where(
            ChallengeProgress.challenge_id == challenge_id,
            ChallengeProgress.member_id == member_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _new_progress(challenge_id: int, member_id: int) -> ChallengeProgress:
    try:
        with db.session.begin_nested():
            row = ChallengeProgress(challenge_id=challenge_id, member_id=member_id, state={})
            db.session.add(row)
        return row
    except IntegrityError:
        found = _locked_progress(challenge_id, member_id)
        assert found is not None
        return found


def _source(ch: Challenge, window_key: str, number: int) -> str:
    """What a completion's reward refers to (ledger reference, badge source)."""
    ref = f"{ch.public_id}:{window_key}"
    return ref if number == 1 else f"{ref}#{number}"


def _complete(
    ch: Challenge, member: Member, window_key: str, at: datetime, held_until: datetime | None
) -> None:
    from challenges.contests import subscribers as contests

    # Under the progress row's lock: earlier completions of this window were all taken back.
    earlier = list(
        db.session.scalars(
            select(ChallengeCompletion).where(
                ChallengeCompletion.challenge_id == ch.id,
                ChallengeCompletion.member_id == member.id,
                ChallengeCompletion.window_key == window_key,
            )
        )
    )
    if any(c.reversed_at is None for c in earlier):
        return  # this window was already rewarded
    number = 1 + max((c.number for c in earlier), default=0)
    key = progress.reward_idempotency_key(ch.public_id, member.id, window_key, number)
    completion = ChallengeCompletion(
        challenge_id=ch.id,
        member_id=member.id,
        window_key=window_key,
        number=number,
        completed_at=at,
        recorded_at=utcnow(),
        reward_key=key if ch.reward_points else None,
        held_until=held_until,
    )
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        return  # a racing completion of this window was recorded first
    source = _source(ch, window_key, number)
    if ch.reward_points:
        award_points(
            member.id,
            ch.reward_points,
            idempotency_key=key,
            kind="bonus",
            reason=f"Challenge: {localize(ch.name, 'en', default_language())}"[:200],
            reference_type="challenge",
            reference_id=source,
            pending_until=held_until,
        )
    if ch.reward_badge_id:
        badges.grant(member.id, ch.reward_badge_id, f"challenge:{source}")
    events.publish(
        db.session,
        CHALLENGE_COMPLETED,
        {
            "member_id": member.id,
            "member_public_id": member.public_id,
            "challenge_id": ch.public_id,
            "challenge_name": ch.name,
            "window_key": window_key,
            "window": window_key,
            "points": ch.reward_points or 0,
            "held_until": held_until.isoformat() if held_until else None,
        },
    )
    contests.on_challenge_completed(member, source, at)


def _take_back(ch: Challenge, member: Member, window_key: str, now: datetime) -> None:
    """A refund dropped a held completion below the goal: reverse its reward, once."""
    from challenges.contests import subscribers as contests

    completion = db.session.scalar(
        select(ChallengeCompletion)
        .where(
            ChallengeCompletion.challenge_id == ch.id,
            ChallengeCompletion.member_id == member.id,
            ChallengeCompletion.window_key == window_key,
            ChallengeCompletion.reversed_at.is_(None),
        )
        .order_by(ChallengeCompletion.number.desc())
        .limit(1)
    )
    if completion is None:
        return
    completion.reversed_at = now
    source = _source(ch, window_key, completion.number)
    name = localize(ch.name, "en", default_language())
    if completion.reward_key:
        reverse_award(
            completion.reward_key, f"Challenge no longer met after a refund: {name}"[:200]
        )
    if ch.reward_badge_id:
        badges.revoke(member.id, ch.reward_badge_id, f"challenge:{source}")
    events.publish(
        db.session,
        CHALLENGE_REVERSED,
        {
            "member_id": member.id,
            "member_public_id": member.public_id,
            "challenge_id": ch.public_id,
            "window_key": window_key,
            "points": ch.reward_points or 0,
        },
    )
    contests.on_challenge_reversed(member, completion.recorded_at)
