"""Per-pass authentication tokens: random, long enough for Apple, compared in constant time."""

from __future__ import annotations

import hmac
import secrets


def new_authentication_token() -> str:
    """32 URL-safe characters (Apple asks for at least 16). Set once; an update never changes it."""
    return secrets.token_urlsafe(24)


def tokens_match(presented: str | None, expected: str) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())
