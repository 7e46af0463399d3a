"""Prize tables by rank for leaderboard contests.

Ranks come from a leaderboard and are unique under the tie rule of `challenges.rules.standings`, so
each rank maps to at most one member and a band "ranks 2-5" pays exactly four members. A member
below `min_score` wins nothing even inside a band (an empty contest has no winners), and the
prize is not passed down to the next member. (An ended membership is not ranked at all: the
standings given here are counted without it, so its place goes to the next member.)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from challenges.rules.standings import Standing


@dataclass(frozen=True)
class PrizeBand:
    first_rank: int
    last_rank: int
    points: int = 0
    reward_code: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.first_rank <= self.last_rank:
            raise ValueError(f"bad rank band {self.first_rank}-{self.last_rank}")
        if self.points < 0 or (self.points == 0 and not self.reward_code):
            raise ValueError(f"band {self.first_rank}-{self.last_rank} gives nothing")


@dataclass(frozen=True)
class PrizeAward:
    member_id: int
    rank: int
    score: int
    points: int
    reward_code: str | None


@dataclass(frozen=True)
class PrizeTable:
    bands: tuple[PrizeBand, ...]
    min_score: int = 1

    def __post_init__(self) -> None:
        ordered = sorted(self.bands, key=lambda b: b.first_rank)
        for before, after in itertools.pairwise(ordered):
            if after.first_rank <= before.last_rank:
                raise ValueError("prize bands overlap")
        object.__setattr__(self, "bands", tuple(ordered))

    @property
    def last_rank(self) -> int:
        """How many top places to fetch from the leaderboard at the close."""
        return self.bands[-1].last_rank if self.bands else 0

    def band_for(self, rank: int) -> PrizeBand | None:
        for band in self.bands:
            if band.first_rank <= rank <= band.last_rank:
                return band
        return None


def award_prizes(table: PrizeTable, standings: Iterable[Standing]) -> list[PrizeAward]:
    """The prizes for a closing leaderboard's top standings (e.g. `top(table.last_rank)`)."""
    ranked: Sequence[Standing] = sorted(standings, key=lambda s: s.rank)
    for before, after in itertools.pairwise(ranked):
        if after.rank == before.rank:
            raise ValueError(f"rank {after.rank} appears twice: the tie rule was not applied")
    awards = []
    for standing in ranked:
        band = table.band_for(standing.rank)
        if band is None or standing.score < table.min_score:
            continue
        awards.append(
            PrizeAward(
                standing.member_id, standing.rank, standing.score, band.points, band.reward_code
            )
        )
    return awards


def prize_idempotency_key(contest_id: str, rank: int) -> str:
    """The ledger key for a contest prize: a second closer's award is a replay, not a payout.
    Per rank (not per member), so a member who wins two places of a draw gets both."""
    return f"contest:{contest_id}:prize:{rank}"
