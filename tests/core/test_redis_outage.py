"""Redis down (the broker and the limits' storage): a till's purchase still commits and answers,
its jobs wait for the sweep, and the limits go on in each worker's memory instead of a 500."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from flask import Flask

from app import outbox
from app.extensions import db, limiter
from app.jobs import init_celery
from tests.conftest import make_app
from tests.notifications.helpers import member_with_device
from tests.support import purchase, seed_program, signup


def _closed_port() -> int:
    # Bound and let go: nothing listens there, so a connection is refused at once.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def outage_app(app, backend, tmp_path) -> Iterator[Flask]:
    down = f"redis://127.0.0.1:{_closed_port()}/0"
    broken = make_app(
        backend,
        tmp_path,
        CELERY_BROKER_URL=down,
        RATELIMIT_STORAGE_URI=down,
        LOGIN_ACCOUNT_LIMIT="3 per 15 minutes",
        LOGIN_RATE_LIMIT="100 per minute",
    )
    try:
        yield broken
    finally:
        with broken.app_context():
            db.engine.dispose()
        # The limiter is one object for every app of the process: the next app's storage is up.
        limiter._storage_dead = False
        init_celery(app)  # Celery's configuration back to the embedded default


def _jobs(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(db.select(outbox.OutboxJob.topic, outbox.OutboxJob.status))
        return [tuple(row) for row in rows]


def test_a_purchase_answers_when_the_broker_is_down_and_the_sweep_runs_its_job(outage_app):
    program = seed_program(outage_app)
    client = outage_app.test_client()
    member, _ = member_with_device(client)
    jobs_before = len(_jobs(outage_app))

    first = purchase(client, program, member.card_number, "10.00")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["points_earned"] == 10
    # Committed with the purchase: the points-push job waits, nothing was lost.
    assert _jobs(outage_app)[jobs_before:] == [("push.transactional", "pending")]
    # The next purchases do not wait on the broker again while it is paused.
    assert not outbox.kick()
    second = purchase(client, program, member.card_number, "5.00")
    assert second.status_code == 201, second.get_json()

    assert _jobs(outage_app)[jobs_before:] == [("push.transactional", "pending")] * 2

    # The sweep (a worker's beat, here called directly) runs what the kicks could not ask for.
    with outage_app.app_context():
        assert outbox.dispatch() == 2
    assert _jobs(outage_app)[jobs_before:] == [("push.transactional", "done")] * 2


def test_limits_go_on_in_memory_when_their_storage_is_down(outage_app):
    seed_program(outage_app)
    client = outage_app.test_client()
    signup(client, "target@test.example")

    def login(password: str) -> int:
        body = {"email": "target@test.example", "password": password}
        return client.post("/api/v1/auth/login", json=body).status_code

    assert [login(f"guess-{i}") for i in range(3)] == [401, 401, 401]
    assert login("member-password-1") == 429
