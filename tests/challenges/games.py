"""Helpers for the games' app-level tests: admin calls and default game definitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.members.models import Member
from tests.support import Program, bearer


def now() -> datetime:
    return datetime.now(UTC)


def iso(at: datetime) -> str:
    return at.isoformat()


def admin_post(client: FlaskClient, program: Program, path: str, body: dict) -> Any:
    return client.post(f"/api/v1/admin{path}", json=body, headers=bearer(program.admin_token))


def admin_patch(client: FlaskClient, program: Program, path: str, body: dict) -> Any:
    return client.patch(f"/api/v1/admin{path}", json=body, headers=bearer(program.admin_token))


def quiz_body(**overrides: Any) -> dict:
    body = {
        "title": {"en": "Store quiz", "fi": "Myymälävisa"},
        "starts_at": iso(now() - timedelta(hours=1)),
        "ends_at": iso(now() + timedelta(days=1)),
        "time_limit_seconds": 60,
        "attempts_allowed": 2,
        "reward_kind": "per_correct",
        "points_per_correct": 10,
        "questions": [
            {
                "kind": "single",
                "text": {"en": "Capital of Finland?", "fi": "Suomen pääkaupunki?"},
                "options": [
                    {"text": {"en": "Helsinki"}, "is_correct": True},
                    {"text": {"en": "Oulu"}, "is_correct": False},
                ],
            },
            {
                "kind": "multiple",
                "text": {"en": "Which are colours?", "fi": "Mitkä ovat värejä?"},
                "options": [
                    {"text": {"en": "Red", "fi": "Punainen"}, "is_correct": True},
                    {"text": {"en": "Blue", "fi": "Sininen"}, "is_correct": True},
                    {"text": {"en": "Cat", "fi": "Kissa"}, "is_correct": False},
                ],
            },
        ],
    }
    return body | overrides


def make_quiz(client: FlaskClient, program: Program, **overrides: Any) -> dict:
    res = admin_post(client, program, "/quizzes", quiz_body(**overrides))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def right_answers(quiz: dict) -> dict[str, list[str]]:
    """From the admin's view of a quiz (the only view that shows them)."""
    return {q["id"]: [o["id"] for o in q["options"] if o["is_correct"]] for q in quiz["questions"]}


def wrong_answers(quiz: dict) -> dict[str, list[str]]:
    return {
        q["id"]: [next(o["id"] for o in q["options"] if not o["is_correct"])]
        for q in quiz["questions"]
    }


def make_challenge(client: FlaskClient, program: Program, **overrides: Any) -> dict:
    body = {
        "name": {"en": "Three visits", "fi": "Kolme käyntiä"},
        "goal_kind": "purchase_count",
        "target": 3,
        "window_kind": "weekly",
        "reward_points": 100,
    } | overrides
    res = admin_post(client, program, "/challenges", body)
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def make_contest(client: FlaskClient, program: Program, **overrides: Any) -> dict:
    body = {
        "kind": "leaderboard",
        "metric": "points_earned",
        "name": {"en": "Points race"},
        "starts_at": iso(now() - timedelta(hours=1)),
        "ends_at": iso(now() + timedelta(days=1)),
        "prizes": [
            {"first_rank": 1, "last_rank": 1, "points": 500},
            {"first_rank": 2, "last_rank": 3, "points": 100},
        ],
    } | overrides
    res = admin_post(client, program, "/contests", body)
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def make_badge(client: FlaskClient, program: Program, code: str = "star") -> dict:
    res = admin_post(
        client,
        program,
        "/badges",
        {
            "code": code,
            "image_url": f"https://img.example/{code}.png",
            "name": {"en": "Star", "fi": "Tähti"},
        },
    )
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def member_row(app: Flask, public_id: str) -> tuple[int, int, int]:
    """(internal id, available, pending)."""
    with app.app_context():
        m = db.session.scalar(select(Member).where(Member.public_id == public_id))
        return m.id, m.points_available, m.points_pending


def ledger_total(app: Flask, reference_type: str, reference_id: str | None = None) -> int:
    """Points the ledger gave for a kind of reference, available or pending (a challenge's
    reward is pending while the purchases behind it can be returned)."""
    with app.app_context():
        stmt = select(
            func.coalesce(func.sum(LedgerEntry.available_delta + LedgerEntry.pending_delta), 0)
        ).where(LedgerEntry.reference_type == reference_type)
        if reference_id is not None:
            stmt = stmt.where(LedgerEntry.reference_id == reference_id)
        return db.session.scalar(stmt)


def ledger_count(app: Flask, reference_type: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.reference_type == reference_type)
        )


def end_now(app: Flask, contest_id: str) -> None:
    """Time passes: the contest's end is just behind us (without the admin API, which would
    have the scheduled job close it at once). Everything done so far happened before the end."""
    import time

    from sqlalchemy import update

    from challenges.contests.models import Contest

    with app.app_context():
        db.session.execute(
            update(Contest)
            .where(Contest.public_id == contest_id)
            .values(ends_at=now() + timedelta(milliseconds=30))
        )
        db.session.commit()
    time.sleep(0.05)


def settle_later(app: Flask, days: float = 15, only: str | None = None) -> list[str]:
    """The contests' close job, run `days` from now (after the return window, by default);
    `only`: settle just that contest."""
    from challenges.contests import settle
    from challenges.contests.models import Contest

    later = now() + timedelta(days=days)
    with app.app_context():
        if only is None:
            return settle.close_due(later)
        contest = db.session.scalar(select(Contest).where(Contest.public_id == only))
        return [only] if settle.settle(contest.id, later) else []


def set_program(app: Flask, **fields: Any) -> None:
    from app.program.service import get_program

    with app.app_context():
        program = get_program()
        for name, value in fields.items():
            setattr(program, name, value)
        db.session.commit()


def contest_view(client: FlaskClient, program: Program, contest_id: str) -> dict:
    res = client.get(f"/api/v1/admin/contests/{contest_id}", headers=bearer(program.admin_token))
    assert res.status_code == 200, res.get_json()
    return res.get_json()
