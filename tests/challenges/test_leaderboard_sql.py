import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import BigInteger, Column, DateTime, Engine, MetaData, String, Table, text

from challenges.contests.leaderboard_sql import (
    StandingColumns,
    rank_statement,
    sql_increment,
    sql_rank,
    sql_top,
    standings_indexes,
)
from challenges.rules.standings import Standing

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@contextmanager
def standings_table(engine: Engine) -> Iterator[StandingColumns]:
    """A standings table of the test's own (the database may be shared with parallel runs),
    shaped like the model the integration will add."""
    name = f"games_test_standings_{uuid.uuid4().hex[:8]}"
    meta = MetaData()
    table = Table(
        name,
        meta,
        Column("board_id", String(40), nullable=False),
        Column("member_id", BigInteger, nullable=False),
        Column("score", BigInteger, nullable=False),
        Column("reached_at", DateTime(timezone=True), nullable=False),
    )
    cols = StandingColumns.of(table)
    standings_indexes(cols, name)
    meta.create_all(engine)
    try:
        yield cols
    finally:
        meta.drop_all(engine)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request) -> Engine:
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture
def cols(engine: Engine) -> Iterator[StandingColumns]:
    with standings_table(engine) as c:
        yield c


def oracle(totals: dict[int, tuple[int, datetime]]) -> list[Standing]:
    """The tie rule written out: score desc, reached asc, member id asc."""
    order = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
    return [Standing(m, i + 1, s, r) for i, (m, (s, r)) in enumerate(order)]


def test_tie_rule(engine: Engine, cols: StandingColumns):
    with engine.begin() as conn:
        sql_increment(conn, cols, "c1", 30, 50, T0 + timedelta(minutes=5))
        sql_increment(conn, cols, "c1", 20, 50, T0 + timedelta(minutes=1))
        sql_increment(conn, cols, "c1", 10, 40, T0)
        sql_increment(conn, cols, "c1", 12, 50, T0 + timedelta(minutes=5))
        sql_increment(conn, cols, "other-board", 99, 1000, T0)
    with engine.connect() as conn:
        assert [(s.member_id, s.rank) for s in sql_top(conn, cols, "c1", 10)] == [
            (20, 1),
            (12, 2),
            (30, 3),
            (10, 4),
        ]
        assert sql_rank(conn, cols, "c1", 30) == Standing(30, 3, 50, T0 + timedelta(minutes=5))
        assert sql_rank(conn, cols, "c1", 99) is None
        assert sql_rank(conn, cols, "other-board", 99) == Standing(99, 1, 1000, T0)


def test_ranks_match_the_tie_rule_on_random_data(engine: Engine, cols: StandingColumns):
    rng = random.Random(3)
    totals: dict[int, tuple[int, datetime]] = {}
    with engine.begin() as conn:
        for _ in range(600):
            member = rng.randrange(1, 120)
            delta = rng.randrange(-5, 30)
            # Few distinct instants, so equal scores at equal times happen.
            at = T0 + timedelta(seconds=rng.randrange(40), microseconds=rng.randrange(3))
            sql_increment(conn, cols, "c1", member, delta, at)
            score, reached = totals.get(member, (0, at))
            totals[member] = (score + delta, max(reached, at))
    expected = oracle(totals)
    with engine.connect() as conn:
        assert sql_top(conn, cols, "c1", 20) == expected[:20]
        assert [sql_rank(conn, cols, "c1", s.member_id) for s in expected] == expected


@pytest.mark.postgres
def test_rank_query_is_served_by_the_index_on_postgres(pg_engine: Engine):
    with standings_table(pg_engine) as cols:
        name = cols.table.name
        with pg_engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO {name} (board_id, member_id, score, reached_at) "
                    "SELECT 'c' || (g % 4), g, (g * 7919) % 5000, "
                    "timestamptz '2026-11-01' + g * interval '1 second' "
                    "FROM generate_series(1, 40000) g"
                )
            )
        with pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM ANALYZE {name}"))
            member = conn.execute(
                text(
                    f"SELECT member_id FROM {name} WHERE board_id = 'c1' "
                    "ORDER BY score, reached_at DESC, member_id DESC LIMIT 1"
                )
            ).scalar_one()
            stmt = rank_statement(cols, "c1", member)
            compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
            plan = "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {compiled}")))
            assert sql_rank(conn, cols, "c1", member).rank == 10000  # the lowest score
        # The bottom member counts the whole board: still from the index, never the table.
        assert "Seq Scan" not in plan, plan
        assert f"Index Only Scan using ix_{name}_board_order" in plan, plan


@pytest.mark.postgres
def test_concurrent_first_increments_do_not_collide_on_postgres(pg_engine: Engine):
    workers, rounds = 4, 25
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker(cols: StandingColumns) -> None:
        try:
            barrier.wait()
            for i in range(rounds):
                with pg_engine.begin() as conn:
                    sql_increment(conn, cols, "c1", 7, 1, T0 + timedelta(seconds=i))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with standings_table(pg_engine) as cols:
        threads = [threading.Thread(target=worker, args=(cols,)) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with pg_engine.connect() as conn:
            assert sql_rank(conn, cols, "c1", 7) == Standing(
                7, 1, workers * rounds, T0 + timedelta(seconds=rounds - 1)
            )
