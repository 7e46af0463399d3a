"""Who may register where: push tokens per registration, a cap of devices per pass, rate
limits on registering, ended memberships, and Wallet's log within bounds."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from passes.apple.models import AppleDevice, AppleRegistration, PassLogEntry
from tests.passes.device import Device, WalletPass
from tests.support import bearer, purchase, signup

PHONE = "6b5dc0a7b7d9c9e1d0b1c2a3f4e5d6c7"
TOKEN_A = "a1" * 32
TOKEN_B = "b2" * 32
TOKEN_NEW = "c3" * 32


@pytest.fixture
def passes_settings(passes_settings: dict) -> dict:
    return passes_settings | {
        "PASS_MAX_DEVICES_PER_PASS": "3",
        "PASS_REGISTER_RATE_LIMIT": "1000 per minute",
        "PASS_REGISTER_PASS_RATE_LIMIT": "1000 per hour",
    }


def _pass_of(client, member) -> WalletPass:
    return WalletPass.from_pkpass(
        client.get("/api/v1/me/passes/apple", headers=member.headers).data
    )


@pytest.fixture
def aino(client, program):
    return signup(client, "aino@test.example", name="Aino Virtanen")


@pytest.fixture
def mallory(client, program):
    return signup(client, "mallory@test.example", name="Mallory")


def registrations(app, pass_: WalletPass | None = None) -> list[tuple[str, str]]:
    """(device library id, push token) of every registration, or of one pass's."""
    from passes.apple.models import ApplePass

    with app.app_context():
        query = (
            select(AppleDevice.device_library_id, AppleRegistration.push_token)
            .join(AppleDevice, AppleDevice.id == AppleRegistration.device_id)
            .join(ApplePass, ApplePass.id == AppleRegistration.pass_id)
            .order_by(AppleRegistration.id)
        )
        if pass_ is not None:
            query = query.where(ApplePass.serial_number == pass_.serial)
        return [tuple(row) for row in db.session.execute(query)]


# -- the push token of another member's pass ------------------------------------------------


def test_registering_another_pass_under_a_device_never_redirects_the_first_pass(
    app, client, program, aino, mallory, fake_apns
):
    """Mallory names Aino's device library identifier (it is no secret) with her own pass and
    her own push token: Aino's pass keeps pushing to Aino's phone."""
    aino_pass, mallory_pass = _pass_of(client, aino), _pass_of(client, mallory)
    assert Device(client, PHONE, TOKEN_A).register(aino_pass).status_code == 201

    assert Device(client, PHONE, TOKEN_B).register(mallory_pass).status_code == 201

    assert registrations(app, aino_pass) == [(PHONE, TOKEN_A)]
    assert registrations(app, mallory_pass) == [(PHONE, TOKEN_B)]
    fake_apns.requests.clear()
    assert purchase(client, program, aino.card_number, "10.00").status_code == 201
    assert [p.token for p in fake_apns.requests] == [TOKEN_A]
    fake_apns.requests.clear()
    assert purchase(client, program, mallory.card_number, "10.00").status_code == 201
    assert [p.token for p in fake_apns.requests] == [TOKEN_B]


def test_a_new_token_on_a_shared_phone_moves_pass_by_pass(
    app, client, program, aino, mallory, fake_apns
):
    """One phone holding two members' cards: Wallet re-registers each pass with its new token,
    and each registration moves on its own (none is stuck waiting for the other)."""
    aino_pass, other_pass = _pass_of(client, aino), _pass_of(client, mallory)
    phone = Device(client, PHONE, TOKEN_A)
    assert phone.register(aino_pass).status_code == 201
    assert phone.register(other_pass).status_code == 201

    phone.push_token = TOKEN_NEW
    assert phone.register(aino_pass).status_code == 200
    assert registrations(app) == [(PHONE, TOKEN_NEW), (PHONE, TOKEN_A)]
    assert phone.register(other_pass).status_code == 200
    assert registrations(app) == [(PHONE, TOKEN_NEW), (PHONE, TOKEN_NEW)]
    fake_apns.requests.clear()
    purchase(client, program, aino.card_number, "10.00")
    assert [p.token for p in fake_apns.requests] == [TOKEN_NEW]


def test_apns_saying_a_token_is_gone_drops_only_the_registrations_that_gave_it(
    app, client, program, aino, mallory, fake_apns
):
    aino_pass, mallory_pass = _pass_of(client, aino), _pass_of(client, mallory)
    Device(client, PHONE, TOKEN_A).register(aino_pass)
    Device(client, PHONE, TOKEN_B).register(mallory_pass)
    fake_apns.gone_tokens.add(TOKEN_B)

    purchase(client, program, mallory.card_number, "10.00")

    assert registrations(app) == [(PHONE, TOKEN_A)]
    fake_apns.requests.clear()
    purchase(client, program, aino.card_number, "10.00")
    assert [p.token for p in fake_apns.requests] == [TOKEN_A]


# -- the cap of devices per pass -------------------------------------------------------------


def test_a_pass_registers_on_at_most_the_configured_devices(app, client, aino, fake_apns):
    wallet_pass = _pass_of(client, aino)
    devices = [Device(client, f"device-{i:04d}", f"{i:02d}" * 32) for i in range(4)]
    for device in devices[:3]:
        assert device.register(wallet_pass).status_code == 201

    refused = devices[3].register(wallet_pass)

    assert refused.status_code == 409
    assert refused.get_json() == {
        "error": {
            "code": "too_many_devices",
            "message": "This pass is registered on 3 devices already.",
            "details": {"max_devices": 3},
        }
    }
    assert [d for d, _ in registrations(app)] == [d.library_id for d in devices[:3]]
    with app.app_context():  # the refused device left nothing behind
        assert db.session.scalar(select(func.count(AppleDevice.id))) == 3
    # A device already registered still renews; one that leaves makes room.
    assert devices[0].register(wallet_pass).status_code == 200
    assert devices[1].unregister(wallet_pass).status_code == 200
    assert devices[3].register(wallet_pass).status_code == 201


def test_a_device_apns_reports_gone_makes_room(app, client, program, aino, fake_apns):
    wallet_pass = _pass_of(client, aino)
    devices = [Device(client, f"device-{i:04d}", f"{i:02d}" * 32) for i in range(4)]
    for device in devices[:3]:
        device.register(wallet_pass)
    fake_apns.gone_tokens.add(devices[0].push_token)  # a phone wiped without removing the pass
    purchase(client, program, aino.card_number, "10.00")

    assert devices[3].register(wallet_pass).status_code == 201


def test_the_cap_is_per_pass(client, aino, mallory):
    aino_pass, mallory_pass = _pass_of(client, aino), _pass_of(client, mallory)
    for i in range(3):
        assert Device(client, f"a-{i}", "aa" * 32).register(aino_pass).status_code == 201
    assert Device(client, "m-0", "bb" * 32).register(mallory_pass).status_code == 201


@pytest.mark.postgres
def test_concurrent_registrations_never_pass_the_cap(backend, app, client, aino):
    if backend != "postgresql":
        pytest.skip("races need PostgreSQL's row locks")
    wallet_pass = _pass_of(client, aino)
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def register(i: int) -> None:
        device = Device(app.test_client(), f"racing-{i:02d}", f"{i:02d}" * 32)
        barrier.wait()
        statuses.append(device.register(wallet_pass).status_code)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] * 3 + [409] * 9
    assert len(registrations(app, wallet_pass)) == 3


# -- rate limits -----------------------------------------------------------------------------


class TestRateLimits:
    @pytest.fixture
    def passes_settings(self, passes_settings: dict) -> dict:
        return passes_settings | {
            "PASS_MAX_DEVICES_PER_PASS": "100",
            "PASS_REGISTER_RATE_LIMIT": "5 per minute",
            "PASS_REGISTER_PASS_RATE_LIMIT": "3 per hour",
        }

    def test_registrations_per_pass_are_limited(self, app, client, aino):
        wallet_pass = _pass_of(client, aino)
        answers = [
            Device(client, f"d-{i}", "aa" * 32).register(wallet_pass).status_code for i in range(4)
        ]
        assert answers == [201, 201, 201, 429]
        assert len(registrations(app)) == 3

    def test_wrong_tokens_do_not_use_up_a_passs_allowance(self, client, aino):
        wallet_pass = _pass_of(client, aino)
        for i in range(3):
            guess = Device(client, f"guess-{i}", "bb" * 32)
            assert guess.register(wallet_pass, token="guess-0123456789abcdef").status_code == 401
        assert Device(client, "owner", "aa" * 32).register(wallet_pass).status_code == 201

    def test_registrations_per_address_are_limited(self, client, aino, mallory):
        passes = [_pass_of(client, aino), _pass_of(client, mallory)]
        answers = [
            Device(client, f"d-{i}", "aa" * 32).register(passes[i % 2], token="x" * 20)
            for i in range(6)
        ]
        # Every attempt counts against the address, wrong tokens too (guessing is throttled).
        assert [a.status_code for a in answers] == [401] * 5 + [429]
        assert answers[-1].get_json()["error"]["code"] == "rate_limited"


# -- ended memberships -------------------------------------------------------------------------


def test_an_ended_members_pass_registers_no_device(app, client, program, aino, fake_apns):
    wallet_pass = _pass_of(client, aino)
    phone = Device(client, PHONE, TOKEN_A)
    assert phone.register(wallet_pass).status_code == 201
    res = client.post(
        f"/api/v1/admin/members/{aino.id}/end", json={}, headers=bearer(program.admin_token)
    )
    assert res.status_code == 200

    other = Device(client, "another-phone", TOKEN_B)
    refused = other.register(wallet_pass)

    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "membership_ended"
    assert registrations(app) == [(PHONE, TOKEN_A)]
    # A device that had it still learns the pass is void: it can fetch it.
    assert phone.fetch(wallet_pass).status_code == 200
    # The token is still checked first: a stranger learns nothing about the membership.
    assert other.register(wallet_pass, token="wrong-token-0123456789").status_code == 401


# -- Wallet's log ------------------------------------------------------------------------------


def test_a_log_body_over_its_limit_is_a_413_and_stores_nothing(app, client, aino):
    wallet_pass = _pass_of(client, aino)
    device = Device(client, PHONE, TOKEN_A)
    res = device.log(wallet_pass, {"logs": ["y" * 1000] * 70})  # ~70 KB, over 64 KiB
    assert res.status_code == 413
    assert res.get_json()["error"] == {
        "code": "payload_too_large",
        "message": "The request body is larger than 65536 bytes.",
        "details": {"max_bytes": 65536},
    }
    with app.app_context():
        assert db.session.scalar(select(func.count(PassLogEntry.id))) == 0


def test_a_devices_log_line_cannot_forge_lines_in_the_app_log(app, client, aino, caplog):
    wallet_pass = _pass_of(client, aino)
    forged = "oops\n2026-12-01 INFO passes: admin@lumo.example granted 100000 points"
    caplog.set_level(logging.INFO, logger="passes")

    assert Device(client, PHONE, TOKEN_A).log(wallet_pass, {"logs": [forged]}).status_code == 200

    logged = [r.getMessage() for r in caplog.records if r.name == "passes"]
    assert logged == [
        "wallet log from 127.0.0.1: oops\\x0a2026-12-01 INFO passes: admin@lumo.example "
        "granted 100000 points"
    ]
    with app.app_context():  # operators read the line as it was sent, through JSON
        assert list(db.session.scalars(select(PassLogEntry.message))) == [forged]
