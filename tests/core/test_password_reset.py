"""Password reset by a mailed one-time token, sent over SMTP to a local server."""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from app.auth.models import PasswordResetToken, User
from app.auth.reset import BODIES, SUBJECTS
from app.extensions import db
from app.i18n import LANGUAGES
from app.models_base import utcnow
from app.outbox import OutboxJob, dispatch
from tests.conftest import make_app
from tests.fakes.smtp import FakeSmtp
from tests.support import bearer, seed_program, signup

NEW = "a-brand-new-password"
TOKEN_IN_LINK = re.compile(r"loyalty://reset-password\?token=([A-Za-z0-9_-]+)")


@pytest.fixture
def fake_smtp(tmp_path, monkeypatch):
    with FakeSmtp(tmp_path / "smtp") as fake:
        for name, value in fake.client_env().items():
            monkeypatch.setenv(name, value)
        yield fake


@pytest.fixture
def smtp_app(app, fake_smtp):
    app.config.update(fake_smtp.settings())
    return app


def _ask(client, email: str):
    return client.post("/api/v1/auth/password-reset", json={"email": email})


def _confirm(client, token: str, password: str = NEW):
    return client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": password}
    )


def _token(fake: FakeSmtp, index: int = -1) -> str:
    match = TOKEN_IN_LINK.search(fake.received[index].message.get_content())
    assert match, fake.received[index].message.get_content()
    return match.group(1)


def test_the_mailed_token_sets_a_new_password_once_and_ends_every_session(
    smtp_app, fake_smtp, program
):
    client = smtp_app.test_client()
    member = signup(client, "aino@test.example", language="fi")
    other_device = client.post(
        "/api/v1/auth/login", json={"email": "aino@test.example", "password": "member-password-1"}
    ).get_json()

    asked = _ask(client, "  Aino@Test.example ")
    assert asked.status_code == 202
    [mail] = fake_smtp.received
    assert mail.rcpt_tos == ["aino@test.example"]
    assert mail.message["Subject"] == "Vaihda salasanasi"
    assert "30 minuutin" in mail.message.get_content()
    token = _token(fake_smtp)

    with smtp_app.app_context():
        stored = db.session.scalars(select(PasswordResetToken.token_hash)).all()
        payloads = [str(p) for p in db.session.scalars(select(OutboxJob.payload))]
    # Only the token's SHA-256 is kept; the plain token is nowhere, the outbox included.
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert not any(token in p for p in payloads)

    assert _confirm(client, token).status_code == 204
    for tokens in (member.access_token, other_device["access_token"]):
        assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 401
    old = client.post(
        "/api/v1/auth/login", json={"email": "aino@test.example", "password": "member-password-1"}
    )
    assert old.status_code == 401
    new = client.post("/api/v1/auth/login", json={"email": "aino@test.example", "password": NEW})
    assert new.status_code == 200
    again = _confirm(client, token, "yet-another-password")
    assert (again.status_code, again.get_json()["error"]["code"]) == (400, "reset_token_invalid")


def test_an_unknown_email_gets_the_same_answer_and_no_mail(smtp_app, fake_smtp, program):
    client = smtp_app.test_client()
    signup(client, "known@test.example")
    known = _ask(client, "known@test.example")
    unknown = _ask(client, "nobody@test.example")
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert [m.rcpt_tos for m in fake_smtp.received] == [["known@test.example"]]


def test_the_request_does_the_same_work_whether_or_not_the_account_exists(tmp_path):
    """With a broker (production), the request only writes the job: the same statements for a
    known and an unknown email, so neither the answer nor its time tells them apart."""
    app = make_app("sqlite", tmp_path, CELERY_BROKER_URL="memory://")
    seed_program(app)
    client = app.test_client()
    signup(client, "known@test.example")
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        _ask(client, "known@test.example")
        known, statements[:] = list(statements), []
        _ask(client, "nobody@test.example")
        unknown = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert known == unknown
    assert not any("users" in s for s in known)
    with app.app_context():
        waiting = db.session.scalars(
            select(OutboxJob.status).where(OutboxJob.topic == "auth.password_reset")
        ).all()
        assert waiting == ["pending", "pending"]
        # A worker runs them: only the known address gets a token.
        dispatch()
        assert len(db.session.scalars(select(PasswordResetToken.user_id)).all()) == 1


def test_an_expired_token_is_refused(smtp_app, fake_smtp, program):
    client = smtp_app.test_client()
    signup(client, "late@test.example")
    _ask(client, "late@test.example")
    token = _token(fake_smtp)
    with smtp_app.app_context():
        db.session.execute(
            update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    res = _confirm(client, token)
    assert (res.status_code, res.get_json()["error"]["code"]) == (400, "reset_token_invalid")


def test_expiry_comes_from_the_settings(smtp_app, fake_smtp, program):
    smtp_app.config["PASSWORD_RESET_MINUTES"] = 5
    client = smtp_app.test_client()
    signup(client, "five@test.example", language="en")
    before = utcnow()
    _ask(client, "five@test.example")
    assert "within 5 minutes" in fake_smtp.received[-1].message.get_content()
    with smtp_app.app_context():
        expires = db.session.scalar(select(PasswordResetToken.expires_at))
    assert before + timedelta(minutes=5) <= expires <= utcnow() + timedelta(minutes=5)


def test_a_new_password_follows_the_signup_rules(smtp_app, fake_smtp, program):
    client = smtp_app.test_client()
    signup(client, "rules@test.example")
    _ask(client, "rules@test.example")
    res = _confirm(client, _token(fake_smtp), "short")
    assert res.status_code == 422
    assert "new_password" in res.get_json()["error"]["details"]["fields"]["json"]
    # The refused attempt did not spend the token.
    assert _confirm(client, _token(fake_smtp)).status_code == 204


def test_no_mail_for_a_deactivated_login_or_an_ended_membership(smtp_app, fake_smtp, program):
    client = smtp_app.test_client()
    ended = signup(client, "ended@test.example")
    signup(client, "off@test.example")
    admin = bearer(program.admin_token)
    assert client.post(f"/api/v1/admin/members/{ended.id}/end", headers=admin).status_code == 200
    with smtp_app.app_context():
        db.session.execute(
            update(User).where(User.email == "off@test.example").values(active=False)
        )
        db.session.commit()
    assert _ask(client, "ended@test.example").status_code == 202
    assert _ask(client, "off@test.example").status_code == 202
    assert fake_smtp.received == []


def test_reset_mails_are_limited_per_email(smtp_app, fake_smtp, program):
    smtp_app.config["PASSWORD_RESET_EMAIL_LIMIT"] = "2 per hour"
    client = smtp_app.test_client()
    signup(client, "spam@test.example")
    codes = [_ask(client, "spam@test.example").status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    # An unknown address is limited the same way: the limit does not tell them apart.
    codes = [_ask(client, "ghost@test.example").status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    assert len(fake_smtp.received) == 2


def test_reset_requests_and_confirmations_are_limited_per_address(app, program):
    app.config["PASSWORD_RESET_RATE_LIMIT"] = "3 per hour"
    client = app.test_client()
    asks = [_ask(client, f"a{i}@test.example").status_code for i in range(4)]
    assert asks == [202, 202, 202, 429]
    confirms = [_confirm(client, f"guess-{i}").status_code for i in range(4)]
    assert confirms == [400, 400, 400, 429]


def test_every_language_has_the_reset_mail():
    for language in LANGUAGES:
        assert SUBJECTS[language]
        text = BODIES[language].format(program="Lumo", minutes=30, link="LINK")
        assert "LINK" in text
        assert "30" in text
        assert "Lumo" in text


@pytest.mark.postgres
def test_racing_confirmations_use_a_token_once(pg_app, tmp_path, monkeypatch):
    with FakeSmtp(tmp_path / "smtp") as fake:
        for name, value in fake.client_env().items():
            monkeypatch.setenv(name, value)
        pg_app.config.update(fake.settings())
        # Twelve confirmations and the losers' logins must not hit the limits.
        for limit in ("LOGIN_ACCOUNT_LIMIT", "LOGIN_RATE_LIMIT", "PASSWORD_RESET_RATE_LIMIT"):
            pg_app.config[limit] = "99 per minute"
        seed_program(pg_app)
        client = pg_app.test_client()
        signup(client, "race@test.example")
        _ask(client, "race@test.example")
        token = _token(fake)

    def confirm(i: int) -> int:
        return _confirm(pg_app.test_client(), token, f"racing-password-{i}").status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(confirm, range(12)))
    assert sorted(codes) == [204] + [400] * 11
    winner = codes.index(204)
    logins = [
        client.post(
            "/api/v1/auth/login",
            json={"email": "race@test.example", "password": f"racing-password-{i}"},
        ).status_code
        for i in range(12)
    ]
    assert [i for i, code in enumerate(logins) if code == 200] == [winner]
