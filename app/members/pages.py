"""Opaque cursors for newest-first pages, so clients never see row numbers."""

from __future__ import annotations

import base64
import binascii

from app.errors import ApiError


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"e:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        number = int(value)
        if kind != "e" or not 0 < number < 2**31:  # ids are 32-bit integers
            raise ValueError(kind)
        return number
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor", "The cursor is not valid.") from None
