"""Challenges (missions): progress from the core's events, rewards once per window.

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
from app.errors import ApiError, not_found
from app.extensions import db
from app.ledger.service import award_points, reverse_award
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.program.service import get_program
from app.purchases.models import Purchase
from app.schemas import from_minor
from challenges.badges import service as badges
from challenges.badges.models import Badge
from challenges.common import default_language, earned_something, enabled, require_eligible
from challenges.eligibility import is_eligible
from challenges.missions.models import (
    Challenge,
    ChallengeCompletion,
    ChallengeParticipant,
    ChallengeProgress,
)
from challenges.rules import progress
from challenges.rules.progress import (
    ChallengeRules,
    ChallengeState,
    Goal,
    GoalKind,
    Outcome,
    ProgressEvent,
    Streak,
)
from challenges.rules.windows import PeriodUnit, Window, WindowKind, local_date, window_span
from challenges.texts import localize, progress_label

PURCHASE_GOALS = tuple(k.value for k in GoalKind if k is not GoalKind.QUIZZES_COMPLETED)


# Published when a member completes a challenge's window (push notifications listen).
CHALLENGE_COMPLETED = "challenge.completed"
# Published when a refund took a held completion and its reward back.
CHALLENGE_REVERSED = "challenge.reversed"


def rules_of(ch: Challenge) -> ChallengeRules:
    streak = Streak(PeriodUnit(ch.streak_unit), ch.streak_length or 1) if ch.streak_unit else None
    goal = Goal(
        GoalKind(ch.goal_kind),
        ch.target,
        channel=ch.channel,
        currency=ch.currency,
        min_amount_minor=ch.min_amount_minor,
        streak=streak,
    )
    return ChallengeRules(goal, Window(WindowKind(ch.window_kind), ch.starts_on, ch.ends_on))


def check_rules(ch: Challenge) -> None:
    try:
        rules_of(ch)
    except ValueError as exc:
        raise ApiError(422, "invalid_challenge", str(exc).capitalize() + ".") from exc


# Event handlers (in the core's transaction).


def on_purchase_recorded(payload: dict[str, Any]) -> None:
    if not enabled():
        return
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
        result = progress.apply_event(rules_of(ch), state, event, member.timezone, now=now)
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
    rules = rules_of(ch)
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
    from challenges.contests import service as contests

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
    from challenges.contests import service as contests

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


# Member-facing.


def join(member: Member, public_id: str, now: datetime | None = None) -> tuple[datetime, bool]:
    """Opt in; (joined_at, created). Joining twice keeps the first join time."""
    now = now or utcnow()
    ch = _active(public_id)
    ensure_active(member)
    if not ch.opt_in:
        raise ApiError(409, "join_not_needed", "Everyone takes part in this challenge.")
    require_eligible(ch, member)
    if ch.ends_on is not None and local_date(now, member.timezone) > ch.ends_on:
        raise ApiError(409, "challenge_over", "This challenge has ended.")
    found = db.session.scalar(
        select(ChallengeParticipant).where(
            ChallengeParticipant.challenge_id == ch.id,
            ChallengeParticipant.member_id == member.id,
        )
    )
    if found is not None:
        return found.joined_at, False
    try:
        with db.session.begin_nested():
            row = ChallengeParticipant(challenge_id=ch.id, member_id=member.id, joined_at=now)
            db.session.add(row)
    except IntegrityError:
        return join(member, public_id, now)
    return now, True


def _active(public_id: str) -> Challenge:
    ch = db.session.scalar(select(Challenge).where(Challenge.public_id == public_id))
    if ch is None or not ch.active:
        raise not_found("challenge")
    return ch


def listing(member: Member, now: datetime | None = None) -> list[dict]:
    """Running challenges the member may take part in, each with their progress right now."""
    now = now or utcnow()
    default = default_language()
    lang = member.language
    out = []
    challenges = list(
        db.session.scalars(select(Challenge).where(Challenge.active).order_by(Challenge.id))
    )
    states = {
        row.challenge_id: row.state
        for row in db.session.scalars(
            select(ChallengeProgress).where(ChallengeProgress.member_id == member.id)
        )
    }
    joined = dict(
        db.session.execute(
            select(ChallengeParticipant.challenge_id, ChallengeParticipant.joined_at).where(
                ChallengeParticipant.member_id == member.id
            )
        ).all()
    )
    shown = []
    for ch in challenges:
        if not is_eligible(ch, member):
            continue
        rules = rules_of(ch)
        span = window_span(rules.window, now, member.timezone)
        if span is not None:
            shown.append((ch, rules, span))
    reward_badges = badges.by_ids(ch.reward_badge_id for ch, _, _ in shown)
    completions = _standing_completions(member, shown)
    for ch, rules, span in shown:
        completion = completions.get((ch.id, span.key))
        state = ChallengeState.from_dict(states.get(ch.id, {}))
        _, now_progress = progress.progress_now(rules, state, now, member.timezone)
        badge = reward_badges.get(ch.reward_badge_id) if ch.reward_badge_id else None
        out.append(
            {
                "id": ch.public_id,
                "name": localize(ch.name, lang, default),
                "description": localize(ch.description, lang, default),
                "goal": {
                    "kind": ch.goal_kind,
                    "target": ch.target,
                    "channel": ch.channel,
                    "currency": ch.currency,
                    "min_amount_minor": ch.min_amount_minor,
                    "min_amount": from_minor(ch.min_amount_minor) if ch.min_amount_minor else None,
                    "streak": {"unit": ch.streak_unit, "length": ch.streak_length}
                    if ch.streak_unit
                    else None,
                },
                "window": {
                    "kind": ch.window_kind,
                    "key": span.key,
                    "starts_at": span.starts_at.isoformat(),
                    "ends_at": span.ends_at.isoformat(),
                },
                "opt_in": ch.opt_in,
                "joined": ch.id in joined if ch.opt_in else True,
                "progress": {
                    "current": now_progress.current,
                    "target": now_progress.target,
                    "completed": now_progress.completed,
                    "label": progress_label(
                        ch.goal_kind,
                        now_progress.current,
                        now_progress.target,
                        lang,
                        currency=ch.currency,
                        streak_unit=ch.streak_unit,
                    ),
                },
                "reward": {
                    "points": ch.reward_points,
                    "badge": badges.badge_body(badge, lang, default) if badge else None,
                    # "pending" until the purchases behind it can no longer be returned.
                    "status": _reward_status(completion, now),
                    "available_at": completion.held_until.isoformat()
                    if completion is not None and completion.held_until
                    else None,
                },
            }
        )
    return out


def _standing_completions(
    member: Member, shown: list[tuple[Challenge, ChallengeRules, Any]]
) -> dict[tuple[int, str], ChallengeCompletion]:
    """The completions not taken back of the windows shown, in one query."""
    if not shown:
        return {}
    rows = db.session.scalars(
        select(ChallengeCompletion).where(
            ChallengeCompletion.member_id == member.id,
            ChallengeCompletion.challenge_id.in_([ch.id for ch, _, _ in shown]),
            ChallengeCompletion.window_key.in_({span.key for _, _, span in shown}),
            ChallengeCompletion.reversed_at.is_(None),
        )
    )
    return {(c.challenge_id, c.window_key): c for c in rows}


def _reward_status(completion: ChallengeCompletion | None, now: datetime) -> str | None:
    if completion is None:
        return None
    return "pending" if completion.held_until and completion.held_until > now else "granted"


def admin_view(ch: Challenge) -> dict:
    badge = db.session.get(Badge, ch.reward_badge_id) if ch.reward_badge_id else None
    return {
        "id": ch.public_id,
        "code": ch.code,
        "name": ch.name,
        "description": ch.description,
        "goal_kind": ch.goal_kind,
        "target": ch.target,
        "channel": ch.channel,
        "currency": ch.currency,
        "min_amount_minor": ch.min_amount_minor,
        "min_amount": from_minor(ch.min_amount_minor) if ch.min_amount_minor else None,
        "streak_unit": ch.streak_unit,
        "streak_length": ch.streak_length,
        "window_kind": ch.window_kind,
        "starts_on": ch.starts_on.isoformat() if ch.starts_on else None,
        "ends_on": ch.ends_on.isoformat() if ch.ends_on else None,
        "opt_in": ch.opt_in,
        "reward_points": ch.reward_points,
        "reward_badge_code": badge.code if badge else None,
        "tiers": ch.tiers,
        "member_ids": ch.member_ids,
        "segment_id": ch.segment_id,
        "active": ch.active,
    }
