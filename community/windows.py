"""When something may be done: a window of time, and an event's booking opening by tier.

Early access: each window names a tier and when booking opens for it; a member of that tier,
or of a higher one, may book from then. Everyone else may book from the general opening.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

NOT_STARTED = "not_started"
OPEN = "open"
CLOSED = "closed"


def window_state(starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    """Open from `starts_at` (included) until `ends_at` (excluded)."""
    if now < starts_at:
        return NOT_STARTED
    if now >= ends_at:
        return CLOSED
    return OPEN


def booking_opens_at(
    tier_code: str,
    general: datetime,
    early: Iterable[tuple[str, datetime]],
    ranks: Mapping[str, int],
) -> datetime:
    """When a member of `tier_code` may book: the earliest early-access window of their tier
    or of a tier below theirs, else the general opening (never later than it)."""
    rank = ranks.get(tier_code)
    opens = general
    for tier, at in early:
        window_rank = ranks.get(tier)
        if rank is None or window_rank is None:
            continue
        if rank >= window_rank and at < opens:
            opens = at
    return opens
