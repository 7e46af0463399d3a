"""Games benchmark: leaderboard rank lookups with a million participants, challenge progress.

Each figure is printed beside the bare operation it rests on, measured in the same run, as a
ratio (1.00 = no overhead over the bare operation):

- Redis leaderboard rank lookup (one Lua script: HGET + ZRANK + ZSCORE) vs a bare ZRANK round trip.
- SQL fallback rank lookup (member row + three index counts) vs the bare indexed count of the
  rows with a higher score, on PostgreSQL.
- Challenge progress events applied and persisted (row lock, rules, JSON state written back,
  commit) vs the bare row lock + update + commit with no rules.

Run: .venv/bin/python bench/games.py [--members 1000000] [--skip-sql]
Env: REDIS_URL (default redis://127.0.0.1:6379/4), BENCH_DATABASE_URL or TEST_DATABASE_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/test_games). The benchmark writes only its
own keys (prefix games-bench) and tables (games_bench_*) and removes them afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import (  # noqa: E402
    BigInteger,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    create_engine,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB  # noqa: E402

from challenges.contests.leaderboard import RedisLeaderboard, Row  # noqa: E402
from challenges.contests.leaderboard_sql import StandingColumns, sql_rank, standings_indexes  # noqa: E402
from challenges.rules.progress import (  # noqa: E402
    ChallengeRules,
    ChallengeState,
    Goal,
    GoalKind,
    ProgressEvent,
    apply_event,
    purchase_recorded,
    purchase_refunded,
)
from challenges.rules.windows import Window, WindowKind  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=UTC)
BOARD = "bench"
TIMEZONES = ["Europe/Helsinki", "Europe/Warsaw", "Asia/Manila", "America/New_York", "UTC"]


class Timing:
    def __init__(self, name: str) -> None:
        self.name = name
        self.samples: list[float] = []

    def time(self, fn: Callable[[], object]) -> None:
        start = time.perf_counter()
        fn()
        self.samples.append(time.perf_counter() - start)

    @property
    def per_second(self) -> float:
        return len(self.samples) / sum(self.samples)

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.samples)
        return ordered[int(0.99 * (len(ordered) - 1))] * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000


def report(measured: Timing, bare: Timing, results: dict) -> None:
    ratio = measured.per_second / bare.per_second
    print(
        f"  {measured.name:<44} {measured.per_second:>10,.0f}/s  p50 {measured.median_ms:7.3f} ms"
        f"  p99 {measured.p99_ms:7.3f} ms"
    )
    print(
        f"  {'limit: ' + bare.name:<44} {bare.per_second:>10,.0f}/s  p50 {bare.median_ms:7.3f} ms"
        f"  p99 {bare.p99_ms:7.3f} ms"
    )
    print(f"  {'ratio (measured / limit)':<44} {ratio:>10.2f}")
    results[measured.name] = {
        "per_second": round(measured.per_second, 1),
        "p50_ms": round(measured.median_ms, 4),
        "p99_ms": round(measured.p99_ms, 4),
        "limit": bare.name,
        "limit_per_second": round(bare.per_second, 1),
        "limit_p99_ms": round(bare.p99_ms, 4),
        "ratio": round(ratio, 3),
    }


def interleaved(n: int, measured: Timing, m: Callable, bare: Timing, b: Callable, keys: list):
    # Alternating the two spreads any drift (cache warmth, background work) over both equally.
    for key in keys[:n]:
        measured.time(lambda key=key: m(key))
        bare.time(lambda key=key: b(key))


def standings(members: int, rng: random.Random) -> Iterator[Row]:
    for member_id in range(1, members + 1):
        # Scores of a points contest: many members on equal scores, so the tie rule is busy.
        yield Row(
            member_id, rng.randrange(100_000), T0 + timedelta(microseconds=rng.randrange(2**41))
        )


def bench_redis(args: argparse.Namespace, results: dict) -> None:
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"))
    board = RedisLeaderboard(client, BOARD, prefix="games-bench")
    rng = random.Random(1)
    print(f"Redis leaderboard, {args.members:,} participants")
    try:
        rows = list(standings(args.members, rng))
        for label, ordered in (
            ("member order", rows),
            # What `ORDER BY score DESC, reached_at, member_id` from the database gives.
            ("rank order", sorted(rows, key=lambda r: (-r.score, r.reached_at, r.member_id))),
        ):
            start = time.perf_counter()
            loaded = board.rebuild(ordered)
            elapsed = time.perf_counter() - start
            print(
                f"  rebuild, {loaded:,} members in {label}, pipelined: {elapsed:.2f} s "
                f"({loaded / elapsed:,.0f}/s)"
            )
            results[f"redis rebuild ({label})"] = {"members": loaded, "seconds": round(elapsed, 2)}
        del rows
        keys = [rng.randrange(1, args.members + 1) for _ in range(args.lookups)]
        # The bare operation needs the sorted-set member itself, fetched outside the timing.
        zmembers = dict(
            zip(keys, client.hmget(board.member_key, [str(k) for k in keys]), strict=True)
        )
        for key in keys[:200]:  # warm-up: script cache, connection
            board.rank(key)
        rank, bare = Timing("redis rank lookup (RedisLeaderboard.rank)"), Timing("bare ZRANK")
        interleaved(
            args.lookups,
            rank,
            board.rank,
            bare,
            lambda k: client.zrank(board.rank_key, zmembers[k]),
            keys,
        )
        report(rank, bare, results)
        top, bare_range = Timing("redis top 10 (RedisLeaderboard.top)"), Timing("bare ZRANGE 0 9")
        interleaved(
            args.lookups // 4,
            top,
            lambda _: board.top(10),
            bare_range,
            lambda _: client.zrange(board.rank_key, 0, 9, withscores=True),
            keys,
        )
        report(top, bare_range, results)
        inc, bare_inc = Timing("redis increment (Lua, tie rule kept)"), Timing("bare ZINCRBY")
        interleaved(
            args.lookups // 4,
            inc,
            lambda k: board.increment(k, 5, T0 + timedelta(days=40)),
            bare_inc,
            lambda k: client.zincrby(board.rank_key + ":bare", 5, str(k)),
            keys,
        )
        report(inc, bare_inc, results)
    finally:
        board.delete()
        client.delete(board.rank_key + ":bare")
        client.close()


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_games"
    )


def bench_sql(args: argparse.Namespace, results: dict) -> None:
    engine = create_engine(database_url())
    meta = MetaData()
    table = Table(
        "games_bench_standings",
        meta,
        Column("board_id", String(40), nullable=False),
        Column("member_id", BigInteger, nullable=False),
        Column("score", BigInteger, nullable=False),
        Column("reached_at", DateTime(timezone=True), nullable=False),
    )
    cols = StandingColumns.of(table)
    print(f"SQL fallback leaderboard on PostgreSQL, {args.members:,} participants")
    meta.drop_all(engine)
    meta.create_all(engine)  # indexes come after the load: building them once is faster
    try:
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SELECT setseed(0.42)"))
            conn.execute(
                text(
                    "INSERT INTO games_bench_standings "
                    "SELECT :board, g, floor(random() * 100000)::bigint, "
                    "timestamptz '2026-11-01' + floor(random() * 2199023255552) "
                    "* interval '1 microsecond' FROM generate_series(1, :n) g"
                ),
                {"board": BOARD, "n": args.members},
            )
        for index in standings_indexes(cols, "games_bench_standings"):
            index.create(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Index-only counts need the visibility map that VACUUM sets.
            conn.execute(text("VACUUM ANALYZE games_bench_standings"))
        elapsed = time.perf_counter() - start
        print(f"  loaded and indexed {args.members:,} rows in {elapsed:.2f} s")
        rng = random.Random(2)
        keys = [rng.randrange(1, args.members + 1) for _ in range(args.sql_lookups)]
        with engine.connect() as conn:
            scores = dict(
                conn.execute(
                    text(
                        "SELECT member_id, score FROM games_bench_standings "
                        "WHERE board_id = :b AND member_id = ANY(:m)"
                    ),
                    {"b": BOARD, "m": keys},
                ).all()
            )
            count_higher = text(
                "SELECT count(*) FROM games_bench_standings WHERE board_id = :b AND score > :s"
            )
            for key in keys[:20]:  # warm-up: index pages into the cache
                sql_rank(conn, cols, BOARD, key)
            rank, bare = Timing("sql rank lookup (sql_rank)"), Timing("bare indexed count(score >)")
            interleaved(
                args.sql_lookups,
                rank,
                lambda k: sql_rank(conn, cols, BOARD, k),
                bare,
                lambda k: conn.execute(count_higher, {"b": BOARD, "s": scores[k]}).scalar_one(),
                keys,
            )
            conn.rollback()
        report(rank, bare, results)
        print("  (both are O(rank): a lookup counts the index entries above the member)")
    finally:
        meta.drop_all(engine)
        engine.dispose()


def progress_events(
    count: int, members: int, rng: random.Random
) -> list[tuple[int, ProgressEvent]]:
    events: list[tuple[int, ProgressEvent]] = []
    for i in range(count):
        member = rng.randrange(members)
        payload = {
            "member_id": member,
            "purchase_id": f"p{i}",
            "store_id": f"s{rng.randrange(50)}",
            "region_id": 1,
            "channel": rng.choice(["in_store", "online", "app"]),
            "amount_minor": rng.randrange(100, 10_000),
            "currency": "EUR",
            "points": 1,
            "occurred_at": (T0 + timedelta(seconds=rng.randrange(60 * 86400))).isoformat(),
        }
        events.append((member, purchase_recorded(payload)))
        roll = rng.random()
        if roll < 0.05:  # redelivery
            events.append((member, purchase_recorded(payload)))
        elif roll < 0.08:  # refund
            events.append((member, purchase_refunded({"purchase_id": f"p{i}"})))
    return events


def bench_progress(args: argparse.Namespace, results: dict, with_sql: bool) -> None:
    rules = ChallengeRules(
        Goal(GoalKind.PURCHASE_COUNT, 5, min_amount_minor=500),
        Window(WindowKind.WEEKLY, starts_on=date(2026, 11, 1)),
    )
    rng = random.Random(3)
    members = 5_000
    tz = {m: rng.choice(TIMEZONES) for m in range(members)}
    events = progress_events(args.events, members, rng)
    print(f"Challenge progress, {len(events):,} events over {members:,} members")
    states: dict[int, ChallengeState] = {}
    start = time.perf_counter()
    for member, event in events:
        state = states.get(member)
        if state is None:
            state = states[member] = ChallengeState()
        apply_event(rules, state, event, tz[member])
    elapsed = time.perf_counter() - start
    print(f"  rules alone, in memory {len(events) / elapsed:>27,.0f}/s")
    results["progress rules in memory"] = {"per_second": round(len(events) / elapsed, 1)}
    if not with_sql:
        return

    engine = create_engine(database_url())
    meta = MetaData()
    table = Table(
        "games_bench_progress",
        meta,
        Column("member_id", BigInteger, primary_key=True),
        Column("state", JSONB, nullable=False),
    )
    meta.drop_all(engine)
    meta.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"member_id": m, "state": {}} for m in range(members)])
        lock = text("SELECT state FROM games_bench_progress WHERE member_id = :m FOR UPDATE")
        write = text("UPDATE games_bench_progress SET state = :s WHERE member_id = :m")
        sample = events[: args.persisted_events]

        def persisted(item: tuple[int, ProgressEvent]) -> None:
            member, event = item
            with engine.begin() as conn:
                raw = conn.execute(lock, {"m": member}).scalar_one()
                state = ChallengeState.from_dict(raw)
                apply_event(rules, state, event, tz[member])
                conn.execute(write, {"m": member, "s": json.dumps(state.to_dict())})

        def bare(item: tuple[int, ProgressEvent]) -> None:
            member, _ = item
            with engine.begin() as conn:
                raw = conn.execute(lock, {"m": member}).scalar_one()
                conn.execute(write, {"m": member, "s": json.dumps(raw)})

        measured = Timing("progress event, applied and persisted")
        limit = Timing("bare row lock + update + commit")
        interleaved(len(sample), measured, persisted, limit, bare, sample)
        report(measured, limit, results)
    finally:
        meta.drop_all(engine)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=20_000, help="Redis rank lookups")
    parser.add_argument("--sql-lookups", type=int, default=200)
    parser.add_argument("--events", type=int, default=100_000, help="progress events in memory")
    parser.add_argument("--persisted-events", type=int, default=3_000)
    parser.add_argument("--skip-redis", action="store_true")
    parser.add_argument("--skip-sql", action="store_true")
    args = parser.parse_args()
    results: dict = {"members": args.members}
    if not args.skip_redis:
        bench_redis(args, results)
    if not args.skip_sql:
        bench_sql(args, results)
    bench_progress(args, results, with_sql=not args.skip_sql)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "games.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures written to {out / 'games.json'}")


if __name__ == "__main__":
    main()
