"""Request hygiene: characters no text column can hold, and bodies past the size limit, are
refused once for every request, before any handler (or the database) sees them."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.request_hygiene import escape_for_log
from tests.support import ROOT, bearer, signup

NUL = "\x00"


def row_counts(app) -> dict[str, int]:
    """Rows in every table: a refused request writes none anywhere."""
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


@pytest.fixture
def member(client, program):
    return signup(client, "aino@test.example", name="Aino")


def _body(value):
    return {"json": value}


def _raw(text: str, content_type: str = "application/json"):
    return {"data": text.encode("utf-8", "surrogatepass"), "content_type": content_type}


# (method, path, request kwargs, who, where the bad character is)
CASES = {
    "login email": (
        "POST",
        "/api/v1/auth/login",
        _body({"email": f"a{NUL}@x.fi", "password": "pw-123456"}),
        None,
        "body",
    ),
    "login password": (
        "POST",
        "/api/v1/auth/login",
        _body({"email": "a@x.fi", "password": f"pw{NUL}"}),
        None,
        "body",
    ),
    "signup name": (
        "POST",
        "/api/v1/auth/signup",
        _body(
            {"email": "n@x.fi", "password": "long-enough-pw", "name": f"A{NUL}", "language": "fi"}
        ),
        None,
        "body",
    ),
    "signup key": (
        "POST",
        "/api/v1/auth/signup",
        _body(
            {
                "email": "k@x.fi",
                "password": "long-enough-pw",
                "name": "A",
                "language": "fi",
                f"x{NUL}": 1,
            }
        ),
        None,
        "body",
    ),
    "signup lone surrogate": (
        "POST",
        "/api/v1/auth/signup",
        _raw(
            '{"email": "s@x.fi", "password": "long-enough-pw", "name": "\\ud800", "language": "fi"}'
        ),
        None,
        "body",
    ),
    "signup low surrogate in a key": (
        "POST",
        "/api/v1/auth/signup",
        _raw(
            '{"email": "s@x.fi", "password": "long-enough-pw", "name": "A", "language": "fi", '
            '"\\udfff": 1}'
        ),
        None,
        "body",
    ),
    "signup bell": (
        "POST",
        "/api/v1/auth/signup",
        _body({"email": "b@x.fi", "password": "long-enough-pw", "name": "A\x07", "language": "fi"}),
        None,
        "body",
    ),
    "signup escape sequence": (
        "POST",
        "/api/v1/auth/signup",
        _body(
            {"email": "e@x.fi", "password": "long-enough-pw", "name": "\x1b[31mA", "language": "fi"}
        ),
        None,
        "body",
    ),
    "signup C1 control": (
        "POST",
        "/api/v1/auth/signup",
        _body({"email": "c@x.fi", "password": "long-enough-pw", "name": "A\x9b", "language": "fi"}),
        None,
        "body",
    ),
    "profile name": ("PATCH", "/api/v1/me", _body({"name": f"Aino{NUL}"}), "member", "body"),
    "profile name, deep in a list": (
        "PATCH",
        "/api/v1/me",
        _body({"name": "A", "x": [{"y": [1, f"{NUL}"]}]}),
        "member",
        "body",
    ),
    "receipt id": (
        "POST",
        "/api/v1/transactions",
        _body(
            {
                "card_number": "CARD",
                "amount": "10.00",
                "currency": "EUR",
                "channel": "in_store",
                "receipt_id": f"r{NUL}1",
            }
        ),
        "till",
        "body",
    ),
    "idempotency key header": (
        "POST",
        "/api/v1/transactions",
        {
            "json": {
                "card_number": "CARD",
                "amount": "10.00",
                "currency": "EUR",
                "channel": "in_store",
                "receipt_id": "r1",
            },
            "headers": {"Idempotency-Key": f"k{NUL}"},
        },
        "till",
        "header",
    ),
    "reward id in the path": (
        "POST",
        "/api/v1/rewards/rew_%00/redeem",
        {"json": {}},
        "member",
        "path",
    ),
    "member id in the path": (
        "POST",
        "/api/v1/admin/members/mem_%00/end",
        _body({"reason": "x"}),
        "admin",
        "path",
    ),
    "newline in a path id": (
        "GET",
        "/api/v1/admin/members/mem_1%0d%0aX-Forged:%201",
        {},
        "admin",
        "path",
    ),
    "tab in a query value": (
        "GET",
        "/api/v1/me/points/history?cursor=a%09b",
        {},
        "member",
        "query",
    ),
    "unknown path": ("GET", "/api/v1/nothing%00here", {}, None, "path"),
    "query value": ("GET", "/api/v1/me/points/history?cursor=%00", {}, "member", "query"),
    "query key": ("GET", "/api/v1/rewards?%00=1", {}, "member", "query"),
    "admin query": ("GET", "/api/v1/admin/passes/logs?limit=1%00", {}, "admin", "query"),
    "passkit device id": (
        "POST",
        "/passkit/v1/devices/d%00/registrations/pass.x/ap_1",
        {"json": {"pushToken": "aa"}, "headers": {"Authorization": "ApplePass t"}},
        None,
        "path",
    ),
    "passkit serial": (
        "GET",
        "/passkit/v1/passes/pass.x/ap_%00",
        {"headers": {"Authorization": "ApplePass t"}},
        None,
        "path",
    ),
    "passkit tag": (
        "GET",
        "/passkit/v1/devices/d1/registrations/pass.x?passesUpdatedSince=1%00",
        {},
        None,
        "query",
    ),
    "passkit push token": (
        "POST",
        "/passkit/v1/devices/d1/registrations/pass.x/ap_1",
        {"json": {"pushToken": f"aa{NUL}"}, "headers": {"Authorization": "ApplePass t"}},
        None,
        "body",
    ),
    "wallet log line": (
        "POST",
        "/passkit/v1/log",
        _body({"logs": ["fine", f"bad{NUL}"]}),
        None,
        "body",
    ),
    "wallet log, lone surrogate": (
        "POST",
        "/passkit/v1/log",
        _raw('{"logs": ["\\ud83d"]}'),
        None,
        "body",
    ),
    "wallet log without a JSON content type": (
        "POST",
        "/passkit/v1/log",
        _raw('{"logs": ["a\\u0000"]}', "text/plain"),
        None,
        "body",
    ),
    "form field": (
        "POST",
        "/api/v1/auth/login",
        {"data": {"email": f"a{NUL}@x.fi"}, "content_type": "application/x-www-form-urlencoded"},
        None,
        "body",
    ),
    "raw NUL in a body that is not JSON": (
        "POST",
        "/api/v1/auth/login",
        _raw(f"email=a{NUL}", "text/plain"),
        None,
        "body",
    ),
    "device fid": (
        "POST",
        "/api/v1/me/devices",
        _body({"fid": f"f{NUL}", "platform": "ios"}),
        "member",
        "body",
    ),
}


def _headers(who: str | None, program, member) -> dict[str, str]:
    if who == "member":
        return member.headers
    if who == "admin":
        return bearer(program.admin_token)
    if who == "till":
        return {"X-API-Key": program.api_key, "Idempotency-Key": "hygiene-1"}
    return {}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_character_anywhere_is_one_422_and_writes_nothing(app, client, program, member, case):
    method, path, kwargs, who, where = CASES[case]
    kwargs = dict(kwargs)
    if "json" in kwargs and isinstance(kwargs["json"], dict) and kwargs["json"].get("card_number"):
        kwargs["json"] = kwargs["json"] | {"card_number": member.card_number}
    kwargs["headers"] = _headers(who, program, member) | kwargs.get("headers", {})
    before = row_counts(app)

    res = client.open(path, method=method, **kwargs)

    assert res.status_code == 422, res.get_data(as_text=True)
    error = res.get_json()["error"]
    assert error["code"] == "invalid_characters"
    assert error["details"]["location"] == where
    # The answer never echoes the character back.
    assert NUL not in res.get_data(as_text=True)
    assert row_counts(app) == before
    if who == "member":
        assert client.get("/api/v1/me", headers=member.headers).get_json()["name"] == "Aino"


def test_the_details_say_which_field(client, program):
    res = client.post(
        "/api/v1/auth/signup",
        json={"email": "a@x.fi", "profile": {"names": ["ok", f"b{NUL}d"]}},
    )
    assert res.get_json()["error"]["details"] == {"location": "body", "field": "profile.names[1]"}
    res = client.post("/api/v1/auth/signup", json={"ok": {f"k{NUL}": 1}})
    assert res.get_json()["error"]["details"] == {"location": "body", "field": "ok.k\\x00"}
    res = client.get("/api/v1/me/points/history?cursor=%00")
    assert res.get_json()["error"]["details"] == {"location": "query", "field": "cursor"}
    res = client.post("/api/v1/rewards/rew_%00/redeem", json={})
    assert res.get_json()["error"]["details"] == {"location": "path", "field": "reward_id"}


def test_ordinary_text_still_passes(client, program, member):
    # Tabs and newlines, every script, emoji (a surrogate pair in JSON), bidi marks: all text.
    name = "Aino\tVirtanen\nŁucja 李 ✨ \U0001f389 \u200f\u0645\u0631\u062d\u0628\u0627"
    res = client.patch("/api/v1/me", json={"name": name}, headers=member.headers)
    assert res.status_code == 200, res.get_json()
    assert client.get("/api/v1/me", headers=member.headers).get_json()["name"] == name
    raw = '{"name": "\\ud83c\\udf89 party"}'
    res = client.patch(
        "/api/v1/me", data=raw, content_type="application/json", headers=member.headers
    )
    assert res.status_code == 200
    assert res.get_json()["name"] == "\U0001f389 party"


def test_a_json_body_nested_too_deeply_is_a_400_not_a_500(client, program):
    res = client.post(
        "/api/v1/auth/login", data="[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "malformed_json"


# -- the body size limit ------------------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(app, client, program):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == app.config["MAX_BODY_BYTES"] == 1024 * 1024
    body = json.dumps({"email": "a@x.fi", "password": "p" * (12 * 1024 * 1024)})
    res = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert res.status_code == 413
    assert res.get_json() == {
        "error": {
            "code": "payload_too_large",
            "message": f"The request body is larger than {limit} bytes.",
            "details": {"max_bytes": limit},
        }
    }


def test_a_chunked_body_without_a_content_length_is_cut_at_the_limit(app, client, program):
    body = b'{"email": "a@x.fi", "password": "' + b"p" * (2 * 1024 * 1024) + b'"}'
    res = client.post(
        "/api/v1/auth/login",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        # What a server that de-chunks the body itself (gunicorn) tells the app.
        environ_overrides={"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"},
    )
    assert res.status_code == 413
    assert res.get_json()["error"]["code"] == "payload_too_large"


def test_a_body_just_under_the_limit_is_read(app, client, program):
    limit = app.config["MAX_CONTENT_LENGTH"]
    filler = "x" * (limit - 200)
    res = client.post("/api/v1/auth/login", json={"email": "a@x.fi", "password": "p", "f": filler})
    assert res.status_code == 422  # read and validated (an unknown field), not refused unread


def test_the_limit_is_configurable(tmp_path):
    from tests.conftest import make_app

    app = make_app("sqlite", tmp_path, MAX_BODY_BYTES=2048, FEATURES=())
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    res = app.test_client().post("/api/v1/auth/login", json={"email": "a" * 3000})
    assert res.status_code == 413
    assert res.get_json()["error"]["details"] == {"max_bytes": 2048}


# -- escaping a client's text for the app log ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text, ääkköset", "plain text, ääkköset"),
        ("two\nlines\r\n", "two\\x0alines\\x0d\\x0a"),
        ("fake\n2026-01-01 INFO admin logged in", "fake\\x0a2026-01-01 INFO admin logged in"),
        ("\x1b[2J", "\\x1b[2J"),
        ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
        ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),
        ("\ud800", "\\ud800"),
        ("back\\slash \\x0a", "back\\\\slash \\\\x0a"),
    ],
)
def test_escape_for_log(raw, escaped):
    assert escape_for_log(raw) == escaped


def test_escape_for_log_bounds_the_length():
    assert escape_for_log("a" * 50, limit=10) == "a" * 10 + "…(+40)"
    assert escape_for_log(None) == "-"


def test_a_refused_request_logs_nothing_unescaped(client, program, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/api/v1/auth/login", json={"email": "x\n\x00FORGED", "password": "p"})
    assert "\nFORGED" not in caplog.text


def test_a_chunked_body_under_the_limit_is_read_whole(app, client, program):
    body = json.dumps({"email": "a@x.fi", "password": "p", "f": "x" * 5000}).encode()
    res = client.post(
        "/api/v1/auth/login",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"},
    )
    assert res.status_code == 422  # the whole body was read: its unknown field is named
    assert "f" in res.get_json()["error"]["details"]["fields"]["json"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chunked_post(port: int, path: str, body: bytes) -> tuple[int, dict]:
    """A POST with Transfer-Encoding: chunked and no Content-Length, as raw HTTP/1.1."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 4096]), body[i : i + 4096])
        for i in range(0, len(body), 4096)
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        # The server may answer and close before it has read everything.
        with contextlib.suppress(OSError):
            conn.sendall(head + chunks + b"0\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


def test_gunicorn_refuses_a_chunked_body_over_the_limit(tmp_path):
    port = _free_port()
    env = os.environ | {
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
        "FEATURES": "notifications",
        "MAX_BODY_BYTES": "2048",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        big = json.dumps({"email": "a@x.fi", "password": "p" * 3000}).encode()
        status, body = _chunked_post(port, "/api/v1/auth/login", big)
        assert status == 413
        assert body["error"] == {
            "code": "payload_too_large",
            "message": "The request body is larger than 2048 bytes.",
            "details": {"max_bytes": 2048},
        }
        # Just under the limit, chunked too: read whole (an unknown field, named in a 422).
        small = json.dumps({"email": "a@x.fi", "password": "p", "f": "x" * 1900}).encode()
        status, body = _chunked_post(port, "/api/v1/auth/login", small)
        assert status == 422
        assert "f" in body["error"]["details"]["fields"]["json"]
    finally:
        server.terminate()
        server.wait(timeout=20)
