"""Codes people read aloud and type at the till: no 0/O or 1/I/L."""

import secrets

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def till_code(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def normalize(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")
