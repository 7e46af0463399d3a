import hashlib
import hmac
import random
from collections import Counter

import pytest

from challenges.rules.draw import (
    Entry,
    commitment,
    draw_winners,
    entry_digest,
    new_seed,
    pick_index,
    recompute_instructions,
    verify_commitment,
)


def independent_recompute(seed_hex: str, lines: list[tuple[str, str]], places: int, per_holder):
    """Written from the published algorithm text only, not from challenges.rules.draw."""
    seed = bytes.fromhex(seed_hex)
    entries = sorted(lines)  # tuples sort by entry id first; entry ids are unique
    blob = "".join(f"{e}\t{h}\n" for e, h in entries).encode("utf-8")
    digest = hashlib.sha256(blob).hexdigest()
    remaining = list(entries)
    c = 0
    won = []
    while remaining and len(won) < places:
        n = len(remaining)
        while True:
            mac = hmac.new(seed, c.to_bytes(8, byteorder="big"), "sha256").digest()
            c += 1
            x = int(mac.hex(), 16)
            if x < 2**256 - (2**256 % n):
                break
        entry_id, holder = remaining[x % n]
        won.append(entry_id)
        if per_holder:
            remaining = [(e, h) for e, h in remaining if h != holder]
        else:
            remaining = [(e, h) for e, h in remaining if e != entry_id]
    return digest, won


def make_entries(rng: random.Random, count: int, holders: int) -> list[Entry]:
    return [
        Entry(f"ent_{rng.getrandbits(64):016x}", f"mem_{rng.randrange(holders):04d}")
        for _ in range(count)
    ]


def test_seed_commitment_is_sha256_and_only_the_right_seed_matches():
    seed = new_seed()
    published = commitment(seed)
    assert published == hashlib.sha256(seed).hexdigest()
    assert verify_commitment(seed, published)
    assert verify_commitment(seed, published.upper())
    assert not verify_commitment(new_seed(), published)


@pytest.mark.parametrize("per_holder", [True, False])
@pytest.mark.parametrize("case", range(6))
def test_winners_recompute_independently_from_the_published_data(case, per_holder):
    rng = random.Random(case)
    entries = make_entries(rng, rng.randrange(1, 400), holders=rng.randrange(1, 60))
    places = rng.randrange(1, 12)
    seed = rng.randbytes(32)
    result = draw_winners(seed, entries, places, one_prize_per_holder=per_holder)

    published_lines = [(e.entry_id, e.holder_id) for e in entries]
    rng.shuffle(published_lines)  # the order it is published in must not matter
    digest, winners = independent_recompute(result.seed, published_lines, places, per_holder)
    assert result.commitment == hashlib.sha256(bytes.fromhex(result.seed)).hexdigest()
    assert result.entry_digest == digest
    assert [w.entry_id for w in result.winners] == winners
    assert [w.place for w in result.winners] == list(range(1, len(winners) + 1))


def test_same_seed_and_entries_give_the_same_winners_whatever_the_input_order():
    rng = random.Random(11)
    entries = make_entries(rng, 200, holders=50)
    seed = new_seed()
    first = draw_winners(seed, entries, 5)
    shuffled = entries[:]
    rng.shuffle(shuffled)
    assert draw_winners(seed, shuffled, 5) == first
    assert draw_winners(new_seed(), entries, 5).winners != first.winners


def test_one_prize_per_holder_and_running_out_of_entries():
    entries = [Entry(f"e{i}", f"h{i % 3}") for i in range(30)]
    once = draw_winners(new_seed(), entries, places=5)
    assert len(once.winners) == 3  # only three holders
    assert len({w.holder_id for w in once.winners}) == 3
    many = draw_winners(new_seed(), entries, places=30, one_prize_per_holder=False)
    assert sorted(w.entry_id for w in many.winners) == sorted(e.entry_id for e in entries)


def test_entry_digest_pins_holders_and_membership():
    a = [Entry("e1", "h1"), Entry("e2", "h2")]
    assert entry_digest(a) != entry_digest([Entry("e1", "h2"), Entry("e2", "h2")])
    assert entry_digest(a) != entry_digest(a[:1])
    assert entry_digest(a) == hashlib.sha256(b"e1\th1\ne2\th2\n").hexdigest()


def _block(seed: bytes, counter: int) -> int:
    return int.from_bytes(
        hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha256).digest(), "big"
    )


def test_rejection_sampling_discards_blocks_at_or_above_the_limit():
    n = 2**255 + 1  # the limit is then 2**255 + 1: about half of all blocks are rejected
    limit = 2**256 - 2**256 % n
    # A seed whose first block is rejected, so the rejection path is surely taken.
    seed = next(s for s in (i.to_bytes(32, "big") for i in range(100)) if _block(s, 0) >= limit)
    kept = next(c for c in range(1, 200) if _block(seed, c) < limit)
    assert pick_index(seed, 0, n) == (_block(seed, kept) % n, kept + 1)
    # A small pool never rejects in practice: the first block decides.
    assert pick_index(seed, 0, 7) == (_block(seed, 0) % 7, 1)


def test_picks_are_spread_evenly_over_a_small_pool():
    seed = bytes(32)
    counter = 0
    counts: Counter[int] = Counter()
    for _ in range(6000):
        index, counter = pick_index(seed, counter, 3)
        counts[index] += 1
    # Each of 3 indexes expects 2000; 5 standard deviations is about +-183.
    assert set(counts) == {0, 1, 2}
    assert all(abs(c - 2000) < 183 for c in counts.values())


def test_recompute_text_names_every_published_value():
    entries = [Entry(f"e{i}", f"h{i}") for i in range(10)]
    result = draw_winners(new_seed(), entries, 2)
    text = recompute_instructions(result)
    for value in (result.seed, result.commitment, result.entry_digest, "HMAC-SHA256"):
        assert value in text
    assert ", ".join(w.entry_id for w in result.winners) in text
    assert "10 entries" in text


@pytest.mark.parametrize(
    ("entries", "seed", "places"),
    [
        ([Entry("e1", "h1"), Entry("e1", "h2")], bytes(32), 1),
        ([Entry("e\t1", "h1")], bytes(32), 1),
        ([Entry("e1", "h\n1")], bytes(32), 1),
        ([Entry("", "h1")], bytes(32), 1),
        ([Entry("e1", "h1")], bytes(16), 1),
        ([Entry("e1", "h1")], bytes(32), 0),
    ],
)
def test_bad_draw_inputs_are_refused(entries, seed, places):
    with pytest.raises(ValueError):
        draw_winners(seed, entries, places)


def test_no_entries_draws_no_winners():
    result = draw_winners(new_seed(), [], 3)
    assert result.winners == ()
    assert result.entry_digest == hashlib.sha256(b"").hexdigest()
