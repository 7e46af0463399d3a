"""An event's seats and its waitlist: seats go in the order the bookings arrived (their
sequence number), and a freed seat goes to the first one waiting."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

CONFIRMED = "confirmed"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"
# Still waiting when the event began: the seat never came (a paid place is refunded).
LAPSED = "lapsed"
# Given up by an erasure: the member's points, this place's with them, were forfeited.
FORFEITED = "forfeited"
ACTIVE = (CONFIRMED, WAITLISTED)
# The places whose points the ledger still holds (a forfeited one's went with the member's).
HOLDING = (CONFIRMED, WAITLISTED, FORFEITED)


class Queued(Protocol):
    seq: int
    status: str


Q = TypeVar("Q", bound=Queued)


def seat_or_wait(confirmed: int, capacity: int) -> str:
    """What a booking arriving now gets."""
    return CONFIRMED if confirmed < capacity else WAITLISTED


def next_in_line(bookings: Iterable[Q]) -> Q | None:
    """The waiting booking that arrived first."""
    waiting = [b for b in bookings if b.status == WAITLISTED]
    return min(waiting, key=lambda b: b.seq) if waiting else None


def position(seq: int, waiting_seqs: Iterable[int]) -> int:
    """A waiting booking's place in the line, from 1."""
    return 1 + sum(1 for other in waiting_seqs if other < seq)
