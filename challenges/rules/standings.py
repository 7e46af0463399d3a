"""A member's place on a leaderboard, and the tie rule every leaderboard backend follows.

Tie rule: a higher score ranks first; between equal scores, whoever reached that score first ranks
first; between equal scores reached in the same microsecond, the lower member id ranks first. So
ranks are unique (1, 2, 3, ... with no shared places) and a prize table by rank is unambiguous.

"Reached" is the latest `at` of the changes that made up the score (the moment the last one
happened, not when it was processed), so the result does not depend on the order in which
events are applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Scores live in a double inside Redis: integers are exact up to 2**53.
MAX_ABS_SCORE = 2**53
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Standing:
    member_id: int
    rank: int  # 1-based
    score: int
    reached_at: datetime  # UTC


def to_micros(at: datetime) -> int:
    if at.utcoffset() is None:
        raise ValueError("leaderboard times must be timezone-aware")
    # Integer arithmetic on the timedelta: exact, and it runs once per member in a rebuild.
    d = at - _EPOCH
    micros = (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
    if micros < 0:
        raise ValueError("leaderboard times before 1970 are not supported")
    return micros


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def check_score(score: int) -> int:
    if not -MAX_ABS_SCORE <= score <= MAX_ABS_SCORE:
        raise ValueError(f"score {score} is beyond what a leaderboard holds exactly")
    return score
