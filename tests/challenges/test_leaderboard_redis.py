import os
import random
from datetime import UTC, datetime, timedelta

import pytest
import redis

from challenges.contests.leaderboard import RedisLeaderboard, Row
from challenges.rules.standings import MAX_ABS_SCORE, Standing

pytestmark = pytest.mark.redis

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def board(redis_client: redis.Redis, redis_prefix: str) -> RedisLeaderboard:
    return RedisLeaderboard(redis_client, "contest-1", prefix=redis_prefix)


def oracle(totals: dict[int, tuple[int, datetime]]) -> list[Standing]:
    """The tie rule written out: score desc, reached asc, member id asc."""
    order = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
    return [Standing(m, i + 1, s, r) for i, (m, (s, r)) in enumerate(order)]


def test_higher_score_then_earlier_then_lower_member_id(board: RedisLeaderboard):
    board.increment(30, 50, T0 + timedelta(minutes=5))
    board.increment(20, 50, T0 + timedelta(minutes=1))  # same score, reached earlier
    board.increment(10, 40, T0)
    board.increment(12, 50, T0 + timedelta(minutes=5))  # same score and time as 30
    assert [(s.member_id, s.rank, s.score) for s in board.top(10)] == [
        (20, 1, 50),
        (12, 2, 50),
        (30, 3, 50),
        (10, 4, 40),
    ]
    assert board.rank(30) == Standing(30, 3, 50, T0 + timedelta(minutes=5))
    assert board.rank(99) is None
    assert board.count() == 4


def test_increment_accumulates_and_reached_is_the_latest_change(board: RedisLeaderboard):
    assert board.increment(1, 10, T0 + timedelta(hours=2)) == 10
    # An older event processed late: the total is reached when its last part happened.
    assert board.increment(1, 5, T0) == 15
    assert board.increment(1, -20, T0 + timedelta(hours=1)) == -5
    assert board.rank(1) == Standing(1, 1, -5, T0 + timedelta(hours=2))
    assert board.count() == 1


def test_ranks_match_the_tie_rule_on_random_data_in_any_order(board: RedisLeaderboard):
    rng = random.Random(7)
    changes = [
        (rng.randrange(1, 300), rng.randrange(-5, 40), T0 + timedelta(seconds=rng.randrange(50)))
        for _ in range(2000)
    ]
    totals: dict[int, tuple[int, datetime]] = {}
    for member, delta, at in changes:
        score, reached = totals.get(member, (0, at))
        totals[member] = (score + delta, max(reached, at))
    rng.shuffle(changes)
    for member, delta, at in changes:
        board.increment(member, delta, at)
    expected = oracle(totals)
    assert board.top(25) == expected[:25]
    assert [board.rank(s.member_id) for s in expected] == expected


def test_set_standing_ignores_stale_and_repeated_versions(board: RedisLeaderboard):
    assert board.set_standing(5, 100, T0, version=3)
    assert not board.set_standing(5, 40, T0, version=2)  # a late job from before
    assert not board.set_standing(5, 999, T0, version=3)  # the same job retried
    assert board.rank(5).score == 100
    assert board.set_standing(5, 120, T0 + timedelta(minutes=1), version=4)
    assert board.rank(5) == Standing(5, 1, 120, T0 + timedelta(minutes=1))
    assert board.count() == 1


def test_rebuild_replaces_the_whole_board(board: RedisLeaderboard):
    board.increment(1, 10, T0)
    board.increment(2, 20, T0)
    rows = [Row(m, m * 3, T0 + timedelta(seconds=m), version=1) for m in range(3, 2503)]
    assert board.rebuild(rows, chunk=1000) == 2500
    assert board.count() == 2500
    assert board.rank(1) is None
    top = board.top(2)
    assert [(s.member_id, s.score) for s in top] == [(2502, 7506), (2501, 7503)]
    assert not board.set_standing(10, 0, T0, version=1)  # versions came with the rows
    assert board.rebuild([]) == 0
    assert board.count() == 0
    assert board.top(3) == []


def test_a_failed_rebuild_leaves_the_live_board_and_the_client_usable(
    board: RedisLeaderboard, redis_client: redis.Redis
):
    board.increment(1, 10, T0)
    rows = [Row(m, 1, T0) for m in range(2, 5000)] + [Row(5000, MAX_ABS_SCORE * 2, T0)]
    with pytest.raises(ValueError):
        board.rebuild(rows, chunk=1000)
    assert board.count() == 1
    assert board.rank(1) == Standing(1, 1, 10, T0)
    assert not any(redis_client.exists(f"{key}:rebuild") for key in board.keys)


def test_scores_are_exact_up_to_two_to_the_53(board: RedisLeaderboard):
    board.set_standing(1, MAX_ABS_SCORE - 1, T0, version=1)
    board.set_standing(2, MAX_ABS_SCORE - 2, T0, version=1)
    assert board.increment(3, MAX_ABS_SCORE - 3, T0) == MAX_ABS_SCORE - 3
    assert [(s.member_id, s.score) for s in board.top(3)] == [
        (1, MAX_ABS_SCORE - 1),
        (2, MAX_ABS_SCORE - 2),
        (3, MAX_ABS_SCORE - 3),
    ]
    with pytest.raises(ValueError):
        board.set_standing(4, MAX_ABS_SCORE + 1, T0, version=1)


def test_boards_are_separate_and_share_one_cluster_slot(
    redis_client: redis.Redis, redis_prefix: str
):
    a = RedisLeaderboard(redis_client, "a", prefix=redis_prefix)
    b = RedisLeaderboard(redis_client, "b", prefix=redis_prefix)
    a.increment(1, 5, T0)
    assert b.rank(1) is None
    assert all("{a}" in key for key in a.keys)
    a.delete()
    assert a.count() == 0


def test_a_client_decoding_responses_reads_the_same(redis_client, redis_prefix):
    decoding = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    board = RedisLeaderboard(decoding, "dec", prefix=redis_prefix)
    board.increment(4, 9, T0)
    assert board.rank(4) == Standing(4, 1, 9, T0)
    assert board.top(1) == [Standing(4, 1, 9, T0)]
    decoding.close()
