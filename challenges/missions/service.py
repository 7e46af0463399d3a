"""Challenges (missions): admins' definitions, members joining, and what a member's list shows.

What events do to progress, completions and rewards is `challenges.missions.subscribers`'; the
rules of goals, windows and progress are `challenges.rules.progress` and `.windows`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError, not_found
from app.extensions import db
from app.lookup import apply, by_public_id
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.schemas import Augmented, to_minor
from challenges.badges import service as badges
from challenges.common import check_code_free, check_eligibility, invalid, require_eligible
from challenges.eligibility import is_eligible
from challenges.missions.models import (
    Challenge,
    ChallengeCompletion,
    ChallengeParticipant,
    ChallengeProgress,
)
from challenges.rules import progress
from challenges.rules.progress import ChallengeRules, ChallengeState, Goal, GoalKind, Streak
from challenges.rules.windows import (
    PeriodUnit,
    Window,
    WindowKind,
    WindowSpan,
    local_date,
    window_span,
)


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


# Admins' definitions.


def _values(data: dict[str, Any]) -> dict[str, Any]:
    """The columns of a definition: the minimum purchase in minor units, the badge by id."""
    values = dict(data)
    if "min_amount" in values or "min_amount_minor" in values:
        amount = values.pop("min_amount", None)
        minor = values.pop("min_amount_minor", None)
        values["min_amount_minor"] = to_minor(amount) if amount is not None else (minor or 0)
    if "reward_badge_code" in values:
        code = values.pop("reward_badge_code")
        badge = badges.badge_by_code(code)
        if code and badge is None:
            raise invalid("reward_badge_code", "Unknown badge.")
        values["reward_badge_id"] = badge.id if badge else None
    return values


def define(data: dict[str, Any]) -> Challenge:
    check_eligibility(data)
    check_code_free(Challenge, data.get("code"))
    ch = Challenge(**_values(data))
    check_rules(ch)
    db.session.add(ch)
    db.session.commit()
    return ch


def challenge_by_id(public_id: str) -> Challenge:
    return by_public_id(Challenge, public_id, "challenge")


def change(public_id: str, changes: dict[str, Any]) -> Challenge:
    check_eligibility(changes)
    ch = challenge_by_id(public_id)
    apply(ch, changes)
    check_rules(ch)
    db.session.commit()
    return ch


def retire(public_id: str) -> Challenge:
    ch = challenge_by_id(public_id)
    ch.active = False
    db.session.commit()
    return ch


def latest(limit: int = 200) -> list[Challenge]:
    return list(db.session.scalars(select(Challenge).order_by(Challenge.id.desc()).limit(limit)))


# Member-facing.


def join(
    member: Member, public_id: str, now: datetime | None = None
) -> tuple[ChallengeParticipant, bool]:
    """Opt in, committed; (participation, created). Joining twice keeps the first join time."""
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
        db.session.commit()
        return found, False
    try:
        with db.session.begin_nested():
            row = ChallengeParticipant(challenge_id=ch.id, member_id=member.id, joined_at=now)
            db.session.add(row)
    except IntegrityError:
        return join(member, public_id, now)
    db.session.commit()
    return row, True


def _active(public_id: str) -> Challenge:
    ch = db.session.scalar(select(Challenge).where(Challenge.public_id == public_id))
    if ch is None or not ch.active:
        raise not_found("challenge")
    return ch


def listing(member: Member, now: datetime | None = None) -> list[Augmented]:
    """Running challenges the member may take part in, each with its current `window`, whether
    the member `joined`, their `progress` right now and the reward's badge and status."""
    now = now or utcnow()
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
    out = []
    for ch, rules, span in shown:
        completion = completions.get((ch.id, span.key))
        state = ChallengeState.from_dict(states.get(ch.id, {}))
        _, now_progress = progress.progress_now(rules, state, now, member.timezone)
        out.append(
            Augmented(
                ch,
                window=Augmented(span, kind=ch.window_kind),
                joined=ch.id in joined if ch.opt_in else True,
                progress=Augmented(now_progress, challenge=ch),
                reward_badge=reward_badges.get(ch.reward_badge_id),
                reward_status=_reward_status(completion, now),
                reward_available_at=completion.held_until if completion is not None else None,
            )
        )
    return out


def _standing_completions(
    member: Member, shown: list[tuple[Challenge, ChallengeRules, WindowSpan]]
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
    # "pending" until the purchases behind it can no longer be returned.
    if completion is None:
        return None
    return "pending" if completion.held_until and completion.held_until > now else "granted"
