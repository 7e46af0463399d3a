"""Password hashing with argon2 (passlib), parameters from the settings."""

from __future__ import annotations

from functools import lru_cache

from flask import current_app
from passlib.hash import argon2


@lru_cache(maxsize=4)
def _hasher(memory_kib: int, rounds: int):
    return argon2.using(memory_cost=memory_kib, rounds=rounds, parallelism=1)


def _current():
    cfg = current_app.config
    return _hasher(cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_ROUNDS"])


def hash_password(password: str) -> str:
    return _current().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _current().verify(password, hashed)


@lru_cache(maxsize=4)
def _dummy(memory_kib: int, rounds: int) -> str:
    return _hasher(memory_kib, rounds).hash("not-a-real-password")


def burn_time_like_verify(password: str) -> None:
    """Spend what a real verify spends: an unknown email answers as slowly as a wrong password."""
    cfg = current_app.config
    _current().verify(password, _dummy(cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_ROUNDS"]))
