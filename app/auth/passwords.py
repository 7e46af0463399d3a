"""Password hashing with argon2id (argon2-cffi), parameters from the settings.

argon2-cffi's `PasswordHasher` holds no lazily loaded state, so threads may share it from the
first request on (passlib's lazy backend loader raced under gunicorn's threads). Hashes are
standard PHC strings (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`), the format passlib wrote
too, so the hashes stored before keep verifying; a hash made with other parameters is replaced
at the next successful login.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


@lru_cache(maxsize=4)
def _hasher(memory_kib: int, rounds: int) -> PasswordHasher:
    return PasswordHasher(time_cost=rounds, memory_cost=memory_kib, parallelism=1)


def _current() -> PasswordHasher:
    cfg = current_app.config
    return _hasher(cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_ROUNDS"])


def hash_password(password: str) -> str:
    return _current().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return _current().verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """True when the hash was made with other parameters than today's settings."""
    try:
        return _current().check_needs_rehash(hashed)
    except (InvalidHashError, ValueError):
        return True


@lru_cache(maxsize=4)
def _dummy(memory_kib: int, rounds: int) -> str:
    return _hasher(memory_kib, rounds).hash("not-a-real-password")


def burn_time_like_verify(password: str) -> None:
    """Spend what a real verify spends: an unknown email answers as slowly as a wrong password."""
    cfg = current_app.config
    verify_password(password, _dummy(cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_ROUNDS"]))
