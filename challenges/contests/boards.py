"""Contest leaderboards: SQL rows are the truth, a Redis sorted set serves reads where set up.

Scores change inside the business transaction (an upsert on the standings row, which also
bumps its version). Once the transaction commits, the new standings are copied to Redis with
`RedisLeaderboard.set_standing`, which ignores versions it already has, so retried or
reordered copies cannot move anyone backwards. A board missing from Redis (new Redis, flushed
keys) is rebuilt from SQL at the next read; `flask games rebuild-leaderboards` does all of them.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from flask import current_app, has_app_context
from sqlalchemy import case, delete, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.extensions import db
from app.members.models import Member
from challenges.contests.leaderboard import RedisLeaderboard, Row
from challenges.contests.leaderboard_sql import StandingColumns, sql_rank, sql_top
from challenges.contests.models import Contest, ContestStanding
from challenges.rules.standings import Standing, check_score

log = logging.getLogger(__name__)
_PENDING = "games_board_updates"
_STALE = "games_boards_stale"
COLUMNS = StandingColumns.of(ContestStanding.__table__, board="contest_id")


def redis_client() -> redis.Redis | None:
    state = current_app.extensions["challenges"]
    if "redis" not in state:
        url = current_app.config.get("GAMES_REDIS_URL")
        state["redis"] = redis.Redis.from_url(url) if url else None
    return state["redis"]


def redis_board(contest: Contest) -> RedisLeaderboard | None:
    client = redis_client()
    if client is None:
        return None
    return RedisLeaderboard(
        client, contest.public_id, prefix=current_app.config["GAMES_REDIS_PREFIX"]
    )


def add_score(contest: Contest, member_id: int, delta: int, at: datetime) -> None:
    """Add `delta` to a member's score; a negative delta never creates a row (nobody starts
    below zero because of a refund of something earned before the contest)."""
    check_score(delta)
    t = ContestStanding.__table__
    if delta < 0:
        stmt = (
            update(t)
            .where(t.c.contest_id == contest.id, t.c.member_id == member_id)
            .values(score=t.c.score + delta, version=t.c.version + 1)
            .returning(t.c.score, t.c.reached_at, t.c.version)
        )
    else:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        ins = insert(t).values(
            contest_id=contest.id, member_id=member_id, score=delta, reached_at=at, version=1
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[t.c.contest_id, t.c.member_id],
            set_={
                "score": t.c.score + delta,
                "reached_at": case(
                    (t.c.reached_at < ins.excluded.reached_at, ins.excluded.reached_at),
                    else_=t.c.reached_at,
                ),
                "version": t.c.version + 1,
            },
        ).returning(t.c.score, t.c.reached_at, t.c.version)
    row = db.session.execute(stmt).first()
    if row is not None and has_app_context() and redis_client() is not None:
        score, reached_at, version = row
        db.session.info.setdefault(_PENDING, []).append(
            (contest.public_id, member_id, int(score), _utc(reached_at), int(version))
        )


@sa_event.listens_for(Session, "after_commit")
def _copy_to_redis(session: Session) -> None:
    # Fired for a released SAVEPOINT too: nothing is committed until the outer commit, and a
    # copy made then would survive a rollback (and its version would hide the next change).
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    client = redis_client()
    if client is None:
        return
    prefix = current_app.config["GAMES_REDIS_PREFIX"]
    try:
        for board_id, member_id, score, reached_at, version in pending:
            RedisLeaderboard(client, board_id, prefix=prefix).set_standing(
                member_id, score, reached_at, version
            )
    except redis.RedisError:
        # The rows are committed; the next rebuild brings Redis back to them.
        log.warning("leaderboard copy to Redis failed", exc_info=True)


@sa_event.listens_for(Session, "after_commit")
def _drop_stale(session: Session) -> None:
    # Fired for a released SAVEPOINT too: the removal is not committed until the outer commit.
    if session.in_nested_transaction() or not has_app_context():
        return
    stale = session.info.pop(_STALE, None)
    client = redis_client() if stale else None
    if client is None:
        return
    prefix = current_app.config["GAMES_REDIS_PREFIX"]
    try:
        for board_id in stale:
            # The next read rebuilds the board from the rows, without the removed member.
            RedisLeaderboard(client, board_id, prefix=prefix).delete()
    except redis.RedisError:
        log.warning("leaderboard removal in Redis failed", exc_info=True)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # A rolled back SAVEPOINT leaves the outer transaction's changes to be copied.
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING, None)
    session.info.pop(_STALE, None)


def remove_member(contests: list[Contest], member_id: int) -> None:
    """Take a member off these boards (an ended membership)."""
    if not contests:
        return
    db.session.execute(
        delete(ContestStanding)
        .where(
            ContestStanding.member_id == member_id,
            ContestStanding.contest_id.in_([c.id for c in contests]),
        )
        .execution_options(synchronize_session=False)
    )
    if has_app_context() and redis_client() is not None:
        db.session.info.setdefault(_STALE, set()).update(c.public_id for c in contests)


def participants(contest: Contest) -> int:
    return db.session.scalar(
        select(func.count(ContestStanding.id)).where(ContestStanding.contest_id == contest.id)
    )


def rebuild(contest: Contest) -> int:
    board = redis_board(contest)
    if board is None:
        return 0
    t = ContestStanding.__table__
    rows = db.session.execute(
        select(t.c.member_id, t.c.score, t.c.reached_at, t.c.version)
        .where(t.c.contest_id == contest.id)
        .order_by(t.c.score.desc(), t.c.reached_at, t.c.member_id)
    )
    return board.rebuild(Row(m, int(s), _utc(r), int(v)) for m, s, r, v in rows)


def _ready_board(contest: Contest) -> RedisLeaderboard | None:
    board = redis_board(contest)
    if board is None:
        return None
    try:
        if board.count() == 0 and participants(contest):
            rebuild(contest)
    except redis.RedisError:
        log.warning("Redis unavailable; leaderboard read from SQL", exc_info=True)
        return None
    return board


def top(contest: Contest, n: int) -> tuple[list[Standing], str]:
    board = _ready_board(contest)
    if board is not None:
        try:
            return board.top(n), "redis"
        except redis.RedisError:
            log.warning("Redis unavailable; leaderboard read from SQL", exc_info=True)
    return sql_top(db.session.connection(), COLUMNS, contest.id, n), "sql"


def rank(contest: Contest, member_id: int) -> Standing | None:
    board = _ready_board(contest)
    if board is not None:
        try:
            return board.rank(member_id)
        except redis.RedisError:
            log.warning("Redis unavailable; leaderboard read from SQL", exc_info=True)
    return sql_rank(db.session.connection(), COLUMNS, contest.id, member_id)


def final_top(contest: Contest, n: int) -> list[Standing]:
    """The settling standings, always from the database (the truth), without ended
    memberships: ranks are counted among the members who can still win."""
    t = ContestStanding
    rows = db.session.execute(
        select(t.member_id, t.score, t.reached_at)
        .join(Member, Member.id == t.member_id)
        .where(t.contest_id == contest.id, Member.ended_at.is_(None))
        .order_by(t.score.desc(), t.reached_at.asc(), t.member_id.asc())
        .limit(n)
    )
    return [Standing(int(m), i + 1, int(s), _utc(r)) for i, (m, s, r) in enumerate(rows)]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
