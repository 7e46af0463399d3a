"""Log lines: JSON with LOG_FORMAT=json, each with the request id the answer carries as
X-Request-ID; an incoming id only from a trusted proxy and only when sane; no secrets."""

from __future__ import annotations

import json
import logging
import re

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.members.models import Member
from tests.conftest import make_app
from tests.support import bearer, purchase, seed_program, signup

GENERATED = re.compile(r"[0-9a-f]{32}")


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def access_lines(lines: list[dict], path: str) -> list[dict]:
    return [line for line in lines if line["logger"] == "app.access" and line["path"] == path]


@pytest.fixture
def json_app(tmp_path):
    return make_app("sqlite", tmp_path, LOG_FORMAT="json")


def test_a_request_writes_one_json_access_line_with_its_id(json_app, capsys):
    seed_program(json_app)
    client = json_app.test_client()
    member = signup(client)
    with json_app.app_context():
        user_id = db.session.scalar(
            select(User.public_id)
            .join(Member, Member.user_id == User.id)
            .where(Member.public_id == member.id)
        )
    capsys.readouterr()

    res = client.get("/api/v1/me", headers=member.headers)

    assert res.status_code == 200
    request_id = res.headers["X-Request-ID"]
    assert GENERATED.fullmatch(request_id)
    lines = json_lines(capsys.readouterr().err)  # every line is JSON
    (line,) = access_lines(lines, "/api/v1/me")
    assert line["request_id"] == request_id
    assert line["level"] == "INFO"
    assert line["message"] == f"GET /api/v1/me 200 {line['duration_ms']:.1f}ms"
    assert (line["method"], line["status"], line["endpoint"]) == ("GET", 200, "/api/v1/me")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] == user_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_every_line_of_a_request_carries_its_id(json_app, capsys):
    @json_app.get("/_test/log")
    def _log_something():
        logging.getLogger("app.test").warning("inside the handler")
        return {}

    res = json_app.test_client().get("/_test/log")
    lines = json_lines(capsys.readouterr().err)
    (inside,) = [line for line in lines if line["message"] == "inside the handler"]
    assert inside["request_id"] == res.headers["X-Request-ID"]
    assert inside["level"] == "WARNING" and inside["logger"] == "app.test"


def test_an_anonymous_request_has_no_user_and_a_till_names_its_store(json_app, capsys):
    program = seed_program(json_app)
    client = json_app.test_client()
    member = signup(client)
    capsys.readouterr()
    client.get("/api/v1/me")
    assert purchase(client, program, member.card_number).status_code == 201
    lines = json_lines(capsys.readouterr().err)
    (anonymous,) = access_lines(lines, "/api/v1/me")
    assert anonymous["status"] == 401 and "user_id" not in anonymous
    (till,) = access_lines(lines, "/api/v1/transactions")
    assert till["actor"] == f"api_key:{program.store_id}" and "user_id" not in till


def test_logs_name_no_password_token_or_credential(json_app, capsys):
    program = seed_program(json_app)
    client = json_app.test_client()
    res = client.post(
        "/api/v1/auth/login",
        json={"email": "admin@test.example", "password": "admin-password-1"},
    )
    assert res.status_code == 200
    token = res.get_json()["access_token"]
    client.get("/api/v1/admin/members?token=leaky-query-token", headers=bearer(token))
    logging.getLogger("app.test").warning(
        "cannot reach redis://:hunter2-redis@redis-host:6379/0 with Bearer %s",
        "bearer-in-a-message",
        extra={"api_key": program.api_key},
    )

    out = capsys.readouterr().err
    for secret in (
        "admin-password-1",
        token,
        program.api_key,
        "leaky-query-token",
        "hunter2-redis",
        "bearer-in-a-message",
    ):
        assert secret not in out
    assert "redis://:***@redis-host:6379/0" in out


def test_a_trusted_proxys_request_id_is_kept(tmp_path, capsys):
    app = make_app("sqlite", tmp_path, LOG_FORMAT="json", TRUSTED_PROXIES=1)
    client = app.test_client()
    for sent in (
        "3f9c2a1e-77b4-4d2e-9f10-5b8c1d2e3f40",
        "Root=1-67891233-abcdef012345678912345678",
    ):
        res = client.get("/healthz", headers={"X-Request-ID": sent})
        assert res.headers["X-Request-ID"] == sent
    res = client.get("/api/v1/me", headers={"X-Request-ID": "edge-req-0001"})
    assert res.headers["X-Request-ID"] == "edge-req-0001"
    (line,) = access_lines(json_lines(capsys.readouterr().err), "/api/v1/me")
    assert line["request_id"] == "edge-req-0001"


@pytest.mark.parametrize(
    "sent",
    [
        "short",  # too short to be anyone's id
        "x" * 129,
        "id with spaces",
        "forged\nline-0001",
        'quote"break-0001',
        "-starts-with-a-dash",
        "ünïcode-request-id",
    ],
)
def test_an_insane_request_id_is_replaced(tmp_path, sent):
    app = make_app("sqlite", tmp_path, TRUSTED_PROXIES=1)
    # Through the WSGI environ: the test client itself refuses a header with a newline.
    res = app.test_client().get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": sent})
    assert GENERATED.fullmatch(res.headers["X-Request-ID"])


def test_without_a_trusted_proxy_a_clients_request_id_is_not_taken(client):
    res = client.get("/healthz", headers={"X-Request-ID": "client-chosen-id-0001"})
    assert res.headers["X-Request-ID"] != "client-chosen-id-0001"
    assert GENERATED.fullmatch(res.headers["X-Request-ID"])


def test_errors_carry_the_request_id_too(client):
    res = client.get("/no/such/page")
    assert res.status_code == 404
    assert GENERATED.fullmatch(res.headers["X-Request-ID"])


def test_text_lines_escape_what_a_client_sent(client, capsys):
    client.get("/no/such/page%0a2026-01-01 INFO admin logged in")
    out = capsys.readouterr().err
    (line,) = [line for line in out.splitlines() if "/no/such/page" in line]
    assert "/no/such/page\\x0a2026-01-01 INFO admin logged in " in line
    assert re.match(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO \[[0-9a-f]{32}\] app.access: ", line
    )


def test_an_unknown_log_format_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        make_app("sqlite", tmp_path, LOG_FORMAT="xml")


def test_the_access_message_is_escaped_for_any_handler(client, caplog):
    caplog.set_level(logging.INFO, logger="app.access")
    client.get("/no/such/page%0aFORGED")
    (record,) = [r for r in caplog.records if r.name == "app.access"]
    assert "\n" not in record.getMessage() and "\\x0aFORGED" in record.getMessage()


def test_a_job_run_by_a_worker_logs_the_id_of_the_request_that_wrote_it(json_app, capsys):
    from app import outbox
    from tests.notifications.helpers import member_with_device

    program = seed_program(json_app)
    client = json_app.test_client()
    member, _ = member_with_device(client)
    celery_conf = json_app.extensions["celery"].conf
    celery_conf.task_always_eager = False  # the points push waits for a worker
    try:
        bought = purchase(client, program, member.card_number, "10.00")
    finally:
        celery_conf.task_always_eager = True
    assert bought.status_code == 201, bought.get_json()
    request_id = bought.headers["X-Request-ID"]
    with json_app.app_context():
        (job,) = db.session.scalars(select(outbox.OutboxJob)).all()
        assert (job.topic, job.status, job.request_id) == (
            "push.transactional",
            "pending",
            request_id,
        )
    capsys.readouterr()

    with json_app.app_context():  # a worker: no request around the job
        assert outbox.dispatch() == 1
    lines = json_lines(capsys.readouterr().err)
    pushed = [line for line in lines if line["logger"].startswith("notifications.")]
    assert pushed, lines
    assert {line["request_id"] for line in pushed} == {request_id}
    # After the job, lines are the worker's own again.
    logging.getLogger("app.test").warning("between jobs")
    (after,) = [
        line for line in json_lines(capsys.readouterr().err) if line["message"] == "between jobs"
    ]
    assert after["request_id"] is None
