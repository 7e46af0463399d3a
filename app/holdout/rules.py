"""Who is held back: pure, no database.

A member is held out of a subject (a campaign, an offer) when a keyed hash of the two falls in
the lowest `percent` of its range. HMAC-SHA256 with a secret salt makes the choice as good as
random across members, independent between subjects, stable for a member and a subject, and
not something a member can work out or steer.
"""

from __future__ import annotations

import hashlib
import hmac

MAX_PERCENT = 50
# Buckets of the hash's range: a hundredth of a percent each.
_BUCKETS = 10_000

CAMPAIGN = "campaign"
OFFER = "offer"
SUBJECT_KINDS = (CAMPAIGN, OFFER)


def bucket(salt: bytes, subject_kind: str, subject_id: int, member_id: int) -> int:
    """The member's place in [0, 10000) for this subject."""
    message = f"{subject_kind}:{subject_id}:{member_id}".encode()
    digest = hmac.new(salt, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS


def held_out(salt: bytes, subject_kind: str, subject_id: int, member_id: int, percent: int) -> bool:
    if percent <= 0:
        return False
    return bucket(salt, subject_kind, subject_id, member_id) < percent * (_BUCKETS // 100)
