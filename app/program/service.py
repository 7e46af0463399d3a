from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app import settings_cache, transaction_memo
from app.errors import ApiError
from app.extensions import db
from app.program.models import Program

settings_cache.watch(Program)
_MEMO = "program"
_SNAPSHOT = "program_settings"


def _program_values() -> dict | None:
    row = db.session.scalar(select(Program).limit(1))
    return None if row is None else settings_cache.values_of(row)


def program_settings() -> settings_cache.Frozen:
    """The program's settings to read (no ORM instance, no query while they are unchanged):
    what the purchase path uses. `get_program` for an instance to change."""
    memo = transaction_memo.current()
    if _SNAPSHOT not in memo:
        values = settings_cache.cached("program", _program_values)
        memo[_SNAPSHOT] = (
            settings_cache.Frozen(values)
            if values is not None
            else settings_cache.Frozen(settings_cache.values_of(get_program()))
        )
    return memo[_SNAPSHOT]


def get_program() -> Program:
    """The program's settings: from the settings cache, read again after any change."""
    memo = transaction_memo.current()
    if _MEMO in memo:
        return memo[_MEMO]
    values = settings_cache.cached("program", _program_values)
    if values is None:
        program = Program(
            name=current_app.config["PROGRAM_NAME"], currency=current_app.config["PROGRAM_CURRENCY"]
        )
        db.session.add(program)
        db.session.flush()
    else:
        program = settings_cache.attach(Program, values)
    memo[_MEMO] = program
    return program


def update_program(changes: dict) -> Program:
    program = get_program()
    for field, value in changes.items():
        setattr(program, field, value)
    if program.points_validity_days <= program.return_window_days:
        raise ApiError(
            422,
            "validation_error",
            "Points must stay valid longer than the return window.",
            {"fields": {"points_validity_days": ["must exceed return_window_days"]}},
        )
    db.session.commit()
    return program
