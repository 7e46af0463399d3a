from __future__ import annotations

from flask import current_app, g, has_app_context
from sqlalchemy import select

from app.errors import ApiError
from app.extensions import db
from app.program.models import Program


def get_program() -> Program:
    """The program's settings, read once per request or job."""
    cached = g.get("_program") if has_app_context() else None
    if cached is not None:
        return cached
    program = db.session.scalar(select(Program).limit(1))
    if program is None:
        program = Program(
            name=current_app.config["PROGRAM_NAME"], currency=current_app.config["PROGRAM_CURRENCY"]
        )
        db.session.add(program)
        db.session.flush()
    if has_app_context():
        g._program = program
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
