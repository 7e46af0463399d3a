"""Verifiable sweepstakes draws: commit to a secret seed, reveal it, derive winners from it.

Algorithm "draw-v1" (what `recompute_instructions` tells the public, word for word in effect):

1. seed: 32 random bytes, kept secret until the draw. commitment = hex(SHA-256(seed)), published
   when the contest opens.
2. Entry list: every entry as the line `entry_id + "\\t" + holder_id + "\\n"` (UTF-8), lines sorted
   by entry_id (code point order = UTF-8 byte order). entry_digest = hex(SHA-256(all lines)).
   Entry and holder ids are opaque public ids and never contain a tab or a newline.
3. Winners, one place at a time, from the pool = the sorted entry list, with a counter c = 0:
   - block = HMAC-SHA256(key=seed, message=c as 8 bytes big-endian); c += 1.
   - x = block read as a 256-bit big-endian unsigned integer; n = pool size.
   - rejection sampling against modulo bias: if x >= 2**256 - (2**256 mod n), discard x and take
     the next block; else the winning entry is pool[x mod n].
   - remove it from the pool (keeping the order of the rest); with one prize per holder, also
     remove every other entry of the same holder.
   Stop when all places are filled or the pool is empty.

The operator knows the seed, so the guarantee rests on the entry list: entries are members' own
actions, each is in the published list, and the digest pins that list at the draw.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

ALGORITHM = "draw-v1"
SEED_BYTES = 32
_SPACE = 1 << 256


@dataclass(frozen=True)
class Entry:
    entry_id: str
    holder_id: str  # the member's public id: one member may hold many entries


@dataclass(frozen=True)
class Winner:
    place: int  # 1-based
    entry_id: str
    holder_id: str


@dataclass(frozen=True)
class DrawResult:
    algorithm: str
    commitment: str
    seed: str  # hex, revealed with the result
    entry_digest: str
    entry_count: int
    places: int
    one_prize_per_holder: bool
    winners: tuple[Winner, ...]


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def commitment(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def verify_commitment(seed: bytes, published: str) -> bool:
    return hmac.compare_digest(commitment(seed), published.lower())


def canonical_entries(entries: Iterable[Entry]) -> list[Entry]:
    ordered = sorted(entries, key=lambda e: e.entry_id)
    for i, entry in enumerate(ordered):
        for value in (entry.entry_id, entry.holder_id):
            if not value or "\t" in value or "\n" in value:
                raise ValueError(f"entry id or holder id not usable in a draw: {value!r}")
        if i and ordered[i - 1].entry_id == entry.entry_id:
            raise ValueError(f"entry id {entry.entry_id!r} appears twice")
    return ordered


def entry_digest(ordered: Iterable[Entry]) -> str:
    h = hashlib.sha256()
    for entry in ordered:
        h.update(f"{entry.entry_id}\t{entry.holder_id}\n".encode())
    return h.hexdigest()


def pick_index(seed: bytes, counter: int, n: int) -> tuple[int, int]:
    """(index in 0..n-1, next counter): uniform by rejection sampling."""
    limit = _SPACE - (_SPACE % n)
    while True:
        block = hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
        x = int.from_bytes(block, "big")
        if x < limit:
            return x % n, counter


def draw_winners(
    seed: bytes,
    entries: Iterable[Entry],
    places: int,
    *,
    one_prize_per_holder: bool = True,
) -> DrawResult:
    """Draw up to `places` winners; the same seed and entries always give the same winners."""
    if len(seed) != SEED_BYTES:
        raise ValueError(f"seed must be {SEED_BYTES} bytes")
    if places < 1:
        raise ValueError("a draw needs at least one place")
    ordered = canonical_entries(entries)
    pool = list(ordered)
    winners: list[Winner] = []
    counter = 0
    while pool and len(winners) < places:
        index, counter = pick_index(seed, counter, len(pool))
        won = pool.pop(index)
        winners.append(Winner(len(winners) + 1, won.entry_id, won.holder_id))
        if one_prize_per_holder:
            pool = [e for e in pool if e.holder_id != won.holder_id]
    return DrawResult(
        algorithm=ALGORITHM,
        commitment=commitment(seed),
        seed=seed.hex(),
        entry_digest=entry_digest(ordered),
        entry_count=len(ordered),
        places=places,
        one_prize_per_holder=one_prize_per_holder,
        winners=tuple(winners),
    )


def recompute_instructions(result: DrawResult) -> str:
    """How anyone can check the draw with the published entry list (shown by GET .../draw)."""
    holder_rule = (
        "then also remove every other entry of the same holder (one prize per member)"
        if result.one_prize_per_holder
        else "(a member with several entries may win several places)"
    )
    return (
        f"Algorithm {result.algorithm}.\n"
        f"1. Check the seed: SHA-256 of the {SEED_BYTES} bytes of hex seed {result.seed} must be "
        f"{result.commitment}, the commitment published when the contest opened.\n"
        "2. Write every entry as a line: entry id, a tab, holder id, a newline (UTF-8); sort the "
        f"lines by entry id. SHA-256 of all lines must be {result.entry_digest} "
        f"({result.entry_count} entries).\n"
        "3. With a counter c starting at 0, for each place: compute HMAC-SHA256 with the seed as "
        "key and c as 8 bytes big-endian as message, add 1 to c, and read the 32 bytes as a "
        "big-endian integer x. With n entries left, if x >= 2^256 - (2^256 mod n) discard x and "
        "take the next c; otherwise entry number x mod n (counting from 0) of the remaining "
        f"sorted list wins. Remove it, {holder_rule}, keeping the order of the rest.\n"
        f"4. Stop after {result.places} winner(s) or when no entries are left. Winners in "
        "order: " + ", ".join(w.entry_id for w in result.winners) + "."
    )
