from datetime import UTC, datetime, timedelta

import pytest

from challenges.rules.prizes import (
    PrizeBand,
    PrizeTable,
    award_prizes,
    prize_idempotency_key,
)
from challenges.rules.standings import Standing

T0 = datetime(2026, 11, 1, tzinfo=UTC)

TABLE = PrizeTable(
    (
        PrizeBand(4, 5, points=100),
        PrizeBand(1, 1, points=1000, reward_code="gold-badge"),
        PrizeBand(2, 3, points=500),
    )
)


def standings(*scores: int) -> list[Standing]:
    return [Standing(100 + i, i + 1, s, T0 + timedelta(minutes=i)) for i, s in enumerate(scores)]


def test_each_rank_gets_its_bands_prize():
    awards = award_prizes(TABLE, standings(90, 80, 80, 70, 60, 50, 40))
    assert [(a.member_id, a.rank, a.points, a.reward_code) for a in awards] == [
        (100, 1, 1000, "gold-badge"),
        (101, 2, 500, None),
        (102, 3, 500, None),  # same score as rank 2, reached later: its own rank
        (103, 4, 100, None),
        (104, 5, 100, None),
    ]
    assert TABLE.last_rank == 5
    assert TABLE.band_for(6) is None


def test_members_below_the_minimum_score_win_nothing_and_nobody_moves_up():
    awards = award_prizes(TABLE, standings(90, 0, 0))
    assert [(a.member_id, a.rank) for a in awards] == [(100, 1)]
    assert award_prizes(TABLE, []) == []


def test_standings_may_come_in_any_order_but_ranks_must_be_unique():
    shuffled = list(reversed(standings(90, 80, 70)))
    assert [a.rank for a in award_prizes(TABLE, shuffled)] == [1, 2, 3]
    tied = [Standing(1, 1, 50, T0), Standing(2, 1, 50, T0)]
    with pytest.raises(ValueError, match="tie rule"):
        award_prizes(TABLE, tied)


@pytest.mark.parametrize(
    "build",
    [
        lambda: PrizeTable((PrizeBand(1, 3, points=10), PrizeBand(3, 4, points=5))),
        lambda: PrizeBand(0, 1, points=10),
        lambda: PrizeBand(3, 2, points=10),
        lambda: PrizeBand(1, 1),
        lambda: PrizeBand(1, 1, points=-5, reward_code="x"),
    ],
)
def test_bad_prize_tables_are_refused(build):
    with pytest.raises(ValueError):
        build()


def test_prize_key_is_per_contest_and_member():
    keys = {prize_idempotency_key(c, m) for c in ("c1", "c2") for m in (1, 2)}
    assert len(keys) == 4
    assert prize_idempotency_key("c1", 1) == prize_idempotency_key("c1", 1)
