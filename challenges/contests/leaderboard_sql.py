"""The leaderboard without Redis: indexed queries over a standings table.

The table is the model's (one row per board and member: score and reached_at), given through
`StandingColumns`, so these functions run unchanged on the real model, SQLite and PostgreSQL.
It needs two indexes (`standings_indexes`): unique (board, member) to find the member's row, and
(board, score, reached_at, member) for the counts.

rank = 1 + rows ahead under the tie rule of `challenges.rules.standings`, counted as three index
range scans (higher score; same score reached earlier; same score and time, lower member id)
instead of one OR, which PostgreSQL would not serve from the index. The count is O(rank):
cheap near the top, an index-only scan of up to a million entries at the bottom; Redis is
O(log n). The counts are index-only only once VACUUM has set the visibility map, so run VACUUM
ANALYZE after a bulk load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Index, Select, Table, case, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from challenges.rules.standings import Standing, check_score


@dataclass(frozen=True)
class StandingColumns:
    table: Table
    board: Any
    member: Any
    score: Any
    reached_at: Any

    @classmethod
    def of(
        cls,
        table: Table,
        board: str = "board_id",
        member: str = "member_id",
        score: str = "score",
        reached_at: str = "reached_at",
    ) -> StandingColumns:
        c = table.c
        return cls(table, c[board], c[member], c[score], c[reached_at])


def standings_indexes(cols: StandingColumns, name: str) -> list[Index]:
    return [
        Index(f"uq_{name}_board_member", cols.board, cols.member, unique=True),
        Index(f"ix_{name}_board_order", cols.board, cols.score, cols.reached_at, cols.member),
    ]


def _ahead_counts(cols: StandingColumns, board_id: Any, me: Any) -> ColumnElement[int]:
    """Rows ahead of the row `me` (an alias of the table), as a sum of three counted scans."""
    t = cols.table
    o = t.alias("ahead")

    def col(c: Any) -> Any:
        return o.c[c.key]

    def count(*conds: ColumnElement[bool]) -> Any:
        return (
            select(func.count())
            .select_from(o)
            .where(col(cols.board) == board_id, *conds)
            .scalar_subquery()
        )

    same_score = col(cols.score) == me.c[cols.score.key]
    return (
        count(col(cols.score) > me.c[cols.score.key])
        + count(same_score, col(cols.reached_at) < me.c[cols.reached_at.key])
        + count(
            same_score,
            col(cols.reached_at) == me.c[cols.reached_at.key],
            col(cols.member) < me.c[cols.member.key],
        )
    )


def rank_statement(cols: StandingColumns, board_id: Any, member_id: int) -> Select:
    """SELECT score, reached_at, rows ahead for one member: one statement, one round trip."""
    me = cols.table.alias("me")
    return select(
        me.c[cols.score.key], me.c[cols.reached_at.key], _ahead_counts(cols, board_id, me)
    ).where(me.c[cols.board.key] == board_id, me.c[cols.member.key] == member_id)


def sql_rank(
    conn: Connection, cols: StandingColumns, board_id: Any, member_id: int
) -> Standing | None:
    """The member's standing, or None if they have no row."""
    row = conn.execute(rank_statement(cols, board_id, member_id)).first()
    if row is None:
        return None
    score, reached_at, ahead = row
    return Standing(member_id, int(ahead) + 1, int(score), _utc(reached_at))


def sql_top(conn: Connection, cols: StandingColumns, board_id: Any, n: int) -> list[Standing]:
    stmt = (
        select(cols.member, cols.score, cols.reached_at)
        .where(cols.board == board_id)
        .order_by(cols.score.desc(), cols.reached_at.asc(), cols.member.asc())
        .limit(n)
    )
    return [
        Standing(int(m), i + 1, int(s), _utc(r)) for i, (m, s, r) in enumerate(conn.execute(stmt))
    ]


def sql_increment(
    conn: Connection,
    cols: StandingColumns,
    board_id: Any,
    member_id: int,
    delta: int,
    at: datetime,
) -> None:
    """Add `delta` to a member's score in one upsert (no race between two first writes);
    reached_at becomes the later of the old one and `at`. PostgreSQL and SQLite only."""
    check_score(delta)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        insert: Any = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:
        raise NotImplementedError(f"no upsert for {dialect}")
    at = _for_db(conn, at)
    stmt = insert(cols.table).values(
        {
            cols.board.key: board_id,
            cols.member.key: member_id,
            cols.score.key: delta,
            cols.reached_at.key: at,
        }
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[cols.board, cols.member],
        set_={
            cols.score.key: cols.score + delta,
            cols.reached_at.key: case(
                (cols.reached_at < literal(at, cols.reached_at.type), at),
                else_=cols.reached_at,
            ),
        },
    )
    conn.execute(stmt)


def _for_db(conn: Connection, at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("leaderboard times must be timezone-aware")
    at = at.astimezone(UTC)
    # SQLite keeps datetimes as text without an offset: compare like with like.
    return at.replace(tzinfo=None) if conn.dialect.name == "sqlite" else at


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
