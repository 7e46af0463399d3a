"""Choosing and setting up the sender from the environment; the logging sender."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import firebase_admin
import pytest
from firebase_admin import messaging

from notifications.sending import factory, firebase
from notifications.sending.fcm import FcmSender
from notifications.sending.outcomes import Outcome
from notifications.sending.push import Push
from notifications.sending.sender import LoggingSender
from tests.fakes.fcm import FakeFcm


def a_push(n: int = 1, **overrides: object) -> Push:
    fields: dict[str, object] = {
        "delivery_id": f"dlv_{n}",
        "title": "Hi",
        "body": "Your points went up",
        "deep_link": "loyalty://points",
        "fid": f"fid-{n}",
    }
    fields.update(overrides)
    return Push(**fields)  # type: ignore[arg-type]


def test_without_credentials_the_logging_sender_is_used() -> None:
    assert isinstance(factory.create_sender({}), LoggingSender)
    assert isinstance(factory.create_sender({factory.CREDENTIALS_ENV: "  "}), LoggingSender)


def test_logging_sender_logs_and_sends_nothing(caplog: pytest.LogCaptureFixture) -> None:
    now = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    sender = LoggingSender(clock=lambda: now)
    with caplog.at_level(logging.INFO, logger="notifications.sending.sender"):
        report = sender.send([a_push(1), a_push(2, expires_at=now - dt.timedelta(seconds=1))])
    assert [r.outcome for r in report.results] == [Outcome.SENT, Outcome.EXPIRED]
    assert list(sender.sent) == [a_push(1)]
    assert "Your points went up" in caplog.text and "loyalty://points" in caplog.text


def test_credentials_in_the_environment_give_an_fcm_sender(
    fake_fcm: FakeFcm, service_account_file: Path
) -> None:
    env = {
        factory.CREDENTIALS_ENV: str(service_account_file),
        factory.ENDPOINT_ENV: fake_fcm.url,
        factory.MODE_ENV: "threads",
        factory.BATCH_SIZE_ENV: "250",
    }
    sender = factory.create_sender(env)
    try:
        assert isinstance(sender, FcmSender)
        assert (sender.mode, sender.batch_size, sender.concurrent_batches) == ("threads", 250, 1)
        assert sender.app.project_id == "loyalty-test"
        assert sender.send([a_push()]).counts == {Outcome.SENT: 1}
        assert [m["fid"] for m in fake_fcm.delivered] == ["fid-1"]
    finally:
        sender.close()
        firebase_admin.delete_app(sender.app)


def test_unknown_send_mode_is_refused(service_account_file: Path) -> None:
    env = {factory.CREDENTIALS_ENV: str(service_account_file), factory.MODE_ENV: "carrier-pigeon"}
    with pytest.raises(ValueError, match="FCM_SEND_MODE"):
        factory.create_sender(env)
    with pytest.raises(ValueError):  # refused before any firebase app was made
        firebase_admin.get_app(firebase.app_name(str(service_account_file), None))


def test_the_endpoint_seam_still_fits_the_library(service_account_file: Path) -> None:
    # Guards the private names point_at relies on: a firebase-admin upgrade that moves them
    # fails here rather than by silently sending tests to Google.
    app = firebase.initialize(service_account_file, name="seam-check")
    try:
        assert firebase.fcm_url(app) == (
            "https://fcm.googleapis.com/v1/projects/loyalty-test/messages:send"
        )
        firebase.point_at(app, "https://127.0.0.1:9/")
        assert firebase.fcm_url(app) == "https://127.0.0.1:9/v1/projects/loyalty-test/messages:send"
        session = messaging._get_messaging_service(app)._client.session
        # The stand-in gets the very adapter (100-connection pool) the library gives Google.
        assert session.get_adapter("https://127.0.0.1:9/v1/x") is session.get_adapter(
            firebase.FCM_HOST
        )
        assert session.get_adapter(firebase.FCM_HOST)._pool_maxsize == 100
    finally:
        firebase_admin.delete_app(app)
