"""A contest leaderboard in a Redis sorted set: O(log n) rank lookups with a million members.

Layout per board (the `{board}` hash tag keeps the keys on one Redis Cluster slot, which the
scripts need):

- `<prefix>:lb:{<board>}:rank` sorted set. Member: `<reached µs, 17 digits>|<member id, 20
  digits>`; score: minus the member's score. Ascending order (ZRANK) is then exactly the tie
  rule of `challenges.rules.standings`: higher score, then earlier reached, then lower member id,
  because Redis orders equal scores by member bytes. Keeping the tiebreak in the member, not
  packed into the score, leaves the full 2**53 exact integer range to the score.
- `...:member` hash: member id -> its current sorted-set member (to find and replace it).
- `...:version` hash: member id -> version of the last `set_standing`.

Every write is one Lua script (atomic, one round trip), and so is a rank lookup. Redis is a
projection: the database row is the truth, and `set_standing` (versioned, so late or repeated
jobs cannot move a member backwards) or `rebuild` bring Redis back to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

import redis

from challenges.rules.standings import Standing, check_score, from_micros, to_micros

_TIME_DIGITS = 17
_ID_DIGITS = 20

_INCREMENT = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
local score = tonumber(ARGV[2])
local reached = ARGV[3]
if old then
  score = score - tonumber(redis.call('ZSCORE', KEYS[1], old))
  local was = string.sub(old, 1, 17)
  if was > reached then reached = was end
  redis.call('ZREM', KEYS[1], old)
end
local z = reached .. '|' .. ARGV[4]
redis.call('ZADD', KEYS[1], string.format('%.17g', -score), z)
redis.call('HSET', KEYS[2], ARGV[1], z)
return string.format('%.17g', score)
"""

_SET = """
local v = redis.call('HGET', KEYS[3], ARGV[1])
if v and tonumber(v) >= tonumber(ARGV[5]) then return 0 end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('ZREM', KEYS[1], old) end
local z = ARGV[3] .. '|' .. ARGV[4]
redis.call('ZADD', KEYS[1], ARGV[2], z)
redis.call('HSET', KEYS[2], ARGV[1], z)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
return 1
"""

_RANK = """
local z = redis.call('HGET', KEYS[2], ARGV[1])
if not z then return false end
return {redis.call('ZRANK', KEYS[1], z), redis.call('ZSCORE', KEYS[1], z), z}
"""


class Row(NamedTuple):
    member_id: int
    score: int
    reached_at: datetime
    version: int = 0


class RedisLeaderboard:
    def __init__(self, client: redis.Redis, board_id: str, prefix: str = "games") -> None:
        base = f"{prefix}:lb:{{{board_id}}}"
        self.client = client
        self.rank_key = f"{base}:rank"
        self.member_key = f"{base}:member"
        self.version_key = f"{base}:version"
        self._increment = client.register_script(_INCREMENT)
        self._set = client.register_script(_SET)
        self._rank = client.register_script(_RANK)

    @property
    def keys(self) -> tuple[str, str, str]:
        return self.rank_key, self.member_key, self.version_key

    def increment(self, member_id: int, delta: int, at: datetime) -> int:
        """Add `delta` (may be negative) to a member's score; returns the new score. Not
        idempotent: use it where the caller already deduplicates, else `set_standing`."""
        check_score(delta)
        new = self._increment(
            keys=self.keys[:2],
            args=[str(member_id), delta, _time_part(at), _id_part(member_id)],
        )
        return check_score(int(float(_text(new))))

    def set_standing(self, member_id: int, score: int, reached_at: datetime, version: int) -> bool:
        """Put a member at an absolute score, unless Redis already has this or a later version
        (a retried or reordered job). Returns whether it was applied."""
        check_score(score)
        applied = self._set(
            keys=self.keys,
            args=[
                str(member_id),
                -score,
                _time_part(reached_at),
                _id_part(member_id),
                version,
            ],
        )
        return bool(applied)

    def rebuild(self, rows: Iterable[Row], chunk: int = 2_000) -> int:
        """Replace the whole board with `rows` (one per member, from the database): streamed
        into side keys as pipelined bulk ZADD/HSET commands, then swapped in atomically, so
        readers never see half a board. Rows given in rank order load about twice as fast
        (Redis inserts into its skiplist near where it last did). Needs a plain (non-cluster)
        client."""
        tmp = tuple(f"{k}:rebuild" for k in self.keys)
        self.client.unlink(*tmp)
        filled = [False, False, False]
        count = 0
        conn = self.client.connection_pool.get_connection()
        replies = 0
        try:
            for batch in _batches(rows, chunk):
                zadd = [b"ZADD", tmp[0].encode()]
                hset = [b"HSET", tmp[1].encode()]
                vers = [b"HSET", tmp[2].encode()]
                for member_id, score, reached_at, version in batch:
                    member = str(member_id).encode()
                    z = f"{_time_part(reached_at)}|{_id_part(member_id)}".encode()
                    zadd += (str(-check_score(score)).encode(), z)
                    hset += (member, z)
                    if version:
                        vers += (member, str(version).encode())
                commands = [zadd, hset] + ([vers] if len(vers) > 2 else [])
                filled[0] = filled[1] = True
                filled[2] = filled[2] or len(vers) > 2
                # Redis-py packs arguments one by one (slow for millions of small ones):
                # the protocol is written here, and replies are read once everything is sent.
                conn.send_packed_command([_resp(c) for c in commands])
                replies += len(commands)
                count += len(batch)
            for _ in range(replies):
                conn.read_response()
        except BaseException:
            conn.disconnect()  # unread replies would confuse the connection's next user
            self.client.connection_pool.release(conn)
            self.client.unlink(*tmp)  # the live board is untouched
            raise
        self.client.connection_pool.release(conn)
        swap = self.client.pipeline(transaction=True)
        swap.unlink(*self.keys)
        for src, dst, present in zip(tmp, self.keys, filled, strict=True):
            if present:  # RENAME of a missing key fails; an empty board has no keys
                swap.rename(src, dst)
        swap.execute()
        return count

    def rank(self, member_id: int) -> Standing | None:
        found = self._rank(keys=self.keys[:2], args=[str(member_id)])
        if not found:
            return None
        position, score, z = found
        return _standing(member_id, int(position) + 1, score, z)

    def top(self, n: int) -> list[Standing]:
        if n < 1:
            return []
        rows = self.client.zrange(self.rank_key, 0, n - 1, withscores=True)
        return [_standing(_member_of(z), i + 1, score, z) for i, (z, score) in enumerate(rows)]

    def count(self) -> int:
        return int(self.client.zcard(self.rank_key))

    def delete(self) -> None:
        self.client.unlink(*self.keys)


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, size)):
        yield batch


def _resp(parts: list[bytes]) -> bytes:
    """One command in the Redis protocol (RESP): an array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    out.extend(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
    return b"".join(out)


def _time_part(at: datetime) -> str:
    return f"{to_micros(at):0{_TIME_DIGITS}d}"


def _id_part(member_id: int) -> str:
    if member_id < 0:
        raise ValueError("member ids are not negative")
    return f"{member_id:0{_ID_DIGITS}d}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _member_of(z: bytes | str) -> int:
    return int(_text(z).split("|", 1)[1])


def _standing(member_id: int, rank: int, score: Any, z: bytes | str) -> Standing:
    reached = int(_text(z)[:_TIME_DIGITS])
    raw = score if isinstance(score, float) else float(_text(score))
    # Scores are stored negated; a zero score comes back as -0.0, which int() folds to 0.
    return Standing(member_id, rank, -int(raw), from_micros(reached))
