"""Which games are live, from the core's settings cache (app.settings_cache): what the purchase
and points subscribers ask first, so that a purchase when no game could count it reads no game.

Contests and challenges are watched: any change to them through the ORM (an admin's edit, a
contest's close or settle, an ORM `update()` of their status) bumps the settings' version in
its own transaction, and every process reads them again at its next look. What is kept is only
enough to say "none could apply": contests not closed (their kind, status, times and the fields
the subscribers filter on) and the goal kinds of active challenges. When one may apply, the
subscriber reads the games themselves, as it always did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app import settings_cache
from app.extensions import db
from challenges.contests.models import LIVE, OPEN, Contest
from challenges.missions.models import Challenge

settings_cache.watch(Contest, Challenge)


@dataclass(frozen=True)
class LiveContest:
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    metric: str | None
    entries_per_purchase: int
    entries_per_quiz: int

    def matches(self, where: dict[str, Any]) -> bool:
        for field, value in where.items():
            if not hasattr(self, field):
                return True  # a filter this summary cannot judge: let the query decide
            held = getattr(self, field)
            if not (held is not None and held > 0 if value is True else held == value):
                return False
        return True


@dataclass(frozen=True)
class LiveGames:
    contests: tuple[LiveContest, ...]
    challenge_goals: frozenset[str]


def _load() -> LiveGames:
    contests = tuple(
        LiveContest(
            c.kind,
            c.status,
            c.starts_at,
            c.ends_at,
            c.metric,
            c.entries_per_purchase or 0,
            c.entries_per_quiz or 0,
        )
        for c in db.session.scalars(select(Contest).where(Contest.status.in_(LIVE)))
    )
    goals = frozenset(
        db.session.scalars(select(Challenge.goal_kind).where(Challenge.active).distinct())
    )
    return LiveGames(contests, goals)


def games() -> LiveGames:
    return settings_cache.cached("games.live", _load)


def may_be_running(kind: str, now: datetime, **where: Any) -> bool:
    """False when no contest of `kind` can be running at `now` (what `running` would find)."""
    return any(
        c.kind == kind and c.status == OPEN and c.starts_at <= now < c.ends_at and c.matches(where)
        for c in games().contests
    )


def may_be_taking_back(kind: str, now: datetime, **where: Any) -> bool:
    """False when no contest of `kind` is begun and not yet settled (what `taking_back` finds)."""
    return any(
        c.kind == kind and c.status in LIVE and c.starts_at <= now and c.matches(where)
        for c in games().contests
    )


def any_challenge_for(goal_kinds: tuple[str, ...]) -> bool:
    """False when no active challenge has one of these goals."""
    return not games().challenge_goals.isdisjoint(goal_kinds)
