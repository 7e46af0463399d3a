"""Helpers the tests share: the seeded program's handles, sign-up, purchases."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Program:
    """The seeded test program's handles, all public ids or raw secrets."""

    admin_token: str
    staff_token: str
    store_id: str
    other_store_id: str
    region_id: str
    api_key: str


def seed_program(app: Flask) -> Program:
    from app.auth.service import create_api_key, create_user, login
    from app.program.service import get_program
    from app.seed import ensure_tiers
    from app.stores.models import Region, Store

    with app.app_context():
        program = get_program()
        program.return_window_days = 14
        ensure_tiers()
        region = Region(name="South", code="south")
        db.session.add(region)
        db.session.flush()
        store = Store(name="Main street", code="main", region_id=region.id)
        other = Store(name="Harbour", code="harbour", region_id=region.id)
        db.session.add_all([store, other])
        db.session.flush()
        create_user("admin@test.example", "admin-password-1", "admin")
        create_user("staff@test.example", "staff-password-1", "staff", store)
        db.session.commit()
        _, raw_key = create_api_key(store, "till 1")
        admin = login("admin@test.example", "admin-password-1")[1].access_token
        staff = login("staff@test.example", "staff-password-1")[1].access_token
        return Program(
            admin_token=admin,
            staff_token=staff,
            store_id=store.public_id,
            other_store_id=other.public_id,
            region_id=region.public_id,
            api_key=raw_key,
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class MemberHandle:
    id: str
    card_number: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


def signup(client: FlaskClient, email: str = "member@test.example", **extra) -> MemberHandle:
    body = {
        "email": email,
        "password": "member-password-1",
        "name": "Test Member",
        "language": "fi",
        "timezone": "Europe/Helsinki",
        "marketing_consent": True,
    } | extra
    res = client.post("/api/v1/auth/signup", json=body)
    assert res.status_code == 201, res.get_json()
    data = res.get_json()
    return MemberHandle(
        id=data["id"],
        card_number=data["barcode_value"],
        access_token=data["tokens"]["access_token"],
        refresh_token=data["tokens"]["refresh_token"],
    )


def purchase(
    client: FlaskClient,
    program: Program,
    card: str,
    amount: str = "100.00",
    key: str | None = None,
    **extra,
):
    body = {
        "card_number": card,
        "amount": amount,
        "currency": "EUR",
        "channel": "in_store",
        "receipt_id": extra.pop("receipt_id", uuid.uuid4().hex[:12]),
    } | extra
    headers = {"X-API-Key": program.api_key, "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post("/api/v1/transactions", json=body, headers=headers)


@contextmanager
def celery_worker(env: dict[str, str], queue: str | None = None) -> Iterator[None]:
    """A real `celery -A wsgi:celery worker` process for the block; fails if it logged a
    traceback."""
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "wsgi:celery",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    if queue:
        args += ["-Q", queue]
    worker = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        yield
    finally:
        worker.terminate()
        try:
            out, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            out, _ = worker.communicate()
    assert b"Traceback" not in out, out.decode()[-3000:]


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine sends inside the block, white space folded."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
