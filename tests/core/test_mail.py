"""Mail: the real smtplib against a local SMTP server (STARTTLS, login), behind the outbox."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mail import LoggingSender, Mail, SmtpSender, deliver, send_later, sender_from_config
from app.outbox import OutboxJob, RetryLater, dispatch
from tests.fakes.smtp import FakeSmtp

POLISH = Mail(
    to="jan@test.example",
    subject="Zresetuj hasło",
    text="Otwórz ten link w ciągu 30 minut: loyalty://reset-password?token=abc",
    language="pl",
)


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


def test_smtp_sends_over_starttls_with_the_login(smtp_app, fake_smtp):
    with smtp_app.app_context():
        assert isinstance(sender_from_config(smtp_app.config), SmtpSender)
        deliver(POLISH)
    [got] = fake_smtp.received
    assert got.tls is True
    assert got.login == "mailer"
    assert fake_smtp.logins == [("mailer", True)]
    assert got.mail_from == "no-reply@loyalty.test"
    assert got.rcpt_tos == ["jan@test.example"]
    msg = got.message
    assert msg["From"] == "Lumo Rewards <no-reply@loyalty.test>"
    assert msg["To"] == "jan@test.example"
    assert msg["Subject"] == "Zresetuj hasło"
    assert msg["Content-Language"] == "pl"
    assert msg["Message-ID"].endswith("@loyalty.test>")
    assert msg["Date"]
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().strip() == POLISH.text


def test_an_untrusted_certificate_is_not_sent_to(smtp_app, fake_smtp, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    with smtp_app.app_context(), pytest.raises(RetryLater):
        deliver(POLISH)
    assert fake_smtp.received == []


def test_a_wrong_login_is_retried_not_dropped(smtp_app, fake_smtp):
    smtp_app.config["SMTP_PASSWORD"] = "wrong"
    with smtp_app.app_context(), pytest.raises(RetryLater):
        deliver(POLISH)
    # smtplib tries each mechanism the server offers (PLAIN, LOGIN): every one was refused.
    assert fake_smtp.logins
    assert all(not ok for _, ok in fake_smtp.logins)
    assert fake_smtp.received == []


def test_without_starttls_the_server_refuses_and_the_mail_waits(smtp_app, fake_smtp):
    smtp_app.config["SMTP_STARTTLS"] = False
    with smtp_app.app_context(), pytest.raises(RetryLater):
        deliver(POLISH)
    assert fake_smtp.received == []


def test_mail_goes_through_the_outbox_after_commit(smtp_app, fake_smtp):
    with smtp_app.app_context():
        send_later(POLISH)
        db.session.rollback()
        assert fake_smtp.received == []
        assert db.session.scalar(select(OutboxJob.id)) is None
        send_later(POLISH)
        # The embedded mode runs the job right after the commit.
        db.session.commit()
        assert [r.rcpt_tos for r in fake_smtp.received] == [["jan@test.example"]]
        assert db.session.scalar(select(OutboxJob.status)) == "done"


def test_a_temporary_refusal_is_sent_again_later(smtp_app, fake_smtp):
    fake_smtp.fail("451 4.3.0 Try again later")
    with smtp_app.app_context():
        send_later(POLISH)
        db.session.commit()
        job = db.session.scalar(select(OutboxJob))
        assert (job.status, job.attempts) == ("pending", 1)
        assert fake_smtp.received == []
        job.available_at = job.created_at  # the back-off has passed
        db.session.commit()
        assert dispatch() == 1
        assert db.session.scalar(select(OutboxJob.status)) == "done"
    assert len(fake_smtp.received) == 1


def test_a_permanent_refusal_is_logged_and_dropped(smtp_app, fake_smtp, caplog):
    fake_smtp.fail("550 5.1.1 No such mailbox")
    with smtp_app.app_context(), caplog.at_level(logging.WARNING, "app.mail"):
        send_later(POLISH)
        db.session.commit()
        assert db.session.scalar(select(OutboxJob.status)) == "done"
    assert fake_smtp.received == []
    assert "refused for good" in caplog.text


def test_without_smtp_settings_mail_is_logged(app, caplog):
    with app.app_context(), caplog.at_level(logging.INFO, "app.mail"):
        assert isinstance(sender_from_config(app.config), LoggingSender)
        deliver(POLISH)
    assert "jan@test.example" in caplog.text
    assert "loyalty://reset-password?token=abc" in caplog.text
