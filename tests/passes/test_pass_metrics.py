"""Wallet pushes to APNs and PATCHes to Google Wallet are counted for Prometheus by outcome."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app import outbox
from app.extensions import db
from app.models_base import utcnow
from app.ops.metrics import REGISTRY
from app.outbox import OutboxJob
from tests.passes.device import Device, WalletPass
from tests.support import purchase, signup

TOKEN_A = "a1" * 32
TOKEN_B = "b2" * 32


def count(name: str, outcome: str) -> float:
    return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0


@pytest.fixture
def member(client, program):
    return signup(client, "aino@test.example", name="Aino Virtanen")


def test_apns_pushes_are_counted_per_device_and_outcome(app, client, program, member, fake_apns):
    wallet_pass = WalletPass.from_pkpass(
        client.get("/api/v1/me/passes/apple", headers=member.headers).data
    )
    for name, token in (("device-phone-0001", TOKEN_A), ("device-watch-0002", TOKEN_B)):
        assert Device(client, name, token).register(wallet_pass).status_code == 201
    fake_apns.gone_tokens.add(TOKEN_B)
    name = "loyalty_wallet_apns_pushes_total"
    before = {o: count(name, o) for o in ("ok", "unregistered")}

    assert purchase(client, program, member.card_number, "10.00").status_code == 201

    assert count(name, "ok") - before["ok"] == 1
    assert count(name, "unregistered") - before["unregistered"] == 1


def test_google_wallet_patches_are_counted_by_outcome(app, client, program, member, fake_google):
    client.get("/api/v1/me/passes/google", headers=member.headers)
    name = "loyalty_google_wallet_patches_total"
    before = {o: count(name, o) for o in ("ok", "retry")}

    fake_google.fail_next.append((429, "rateLimitExceeded"))
    purchase(client, program, member.card_number, "40.00")
    assert count(name, "retry") - before["retry"] == 1
    assert count(name, "ok") == before["ok"]

    with app.app_context():  # the retry's time comes
        db.session.execute(update(OutboxJob).values(available_at=utcnow()))
        db.session.commit()
        assert outbox.dispatch() == 1
    assert count(name, "ok") - before["ok"] == 1
    text = client.get("/metrics").get_data(as_text=True)
    assert f'{name}{{outcome="ok"}} {count(name, "ok")}' in text
