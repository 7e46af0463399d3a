"""Opaque public identifiers: what clients see instead of row numbers."""

import secrets


def new_id(prefix: str = "") -> str:
    token = secrets.token_urlsafe(12)
    return f"{prefix}_{token}" if prefix else token
