"""Pass-update pushes through the real httpx HTTP/2 client against a local fake APNs."""

from __future__ import annotations

import socket

import pytest

from passes.apple.apns import ApnsPassPusher, PushOutcome, classify
from tests.fakes.apns import FakeApns, make_server_tls

PASS_TYPE_ID = "pass.fi.lumo.loyalty"
TOKEN = "a1" * 32
OTHER = "b2" * 32


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory):
    return make_server_tls(tmp_path_factory.mktemp("apns-tls"))


@pytest.fixture
def apns(server_tls, dev_chain_files):
    _ca, cert, key = server_tls
    with FakeApns(cert, key, client_cas=[dev_chain_files.root, dev_chain_files.wwdr]) as fake:
        yield fake


@pytest.fixture
def pusher(apns, server_tls, dev_chain_files):
    with ApnsPassPusher(
        topic=PASS_TYPE_ID,
        cert_path=dev_chain_files.certificate,
        key_path=dev_chain_files.key,
        key_password="correct horse battery",
        base_url=apns.base_url,
        ca_file=server_tls[0],
        timeout=5,
    ) as client:
        yield client


def test_push_sends_an_empty_payload_to_the_pass_topic_with_the_pass_certificate(
    apns, pusher, dev_chain
):
    result = pusher.push(TOKEN)

    assert result.outcome is PushOutcome.OK
    assert result.status == 200
    assert result.apns_id
    (request,) = apns.requests
    assert request.alpn == "h2"
    assert request.method == "POST"
    assert request.path == f"/3/device/{TOKEN}"
    assert request.headers["apns-topic"] == PASS_TYPE_ID
    assert request.payload == {}
    assert request.client_cert == dev_chain.certificate


def test_unregistered_device_answers_410_and_asks_for_removal(apns, pusher):
    apns.gone_tokens.add(OTHER)
    results = pusher.push_many([TOKEN, OTHER])
    assert [r.outcome for r in results] == [PushOutcome.OK, PushOutcome.UNREGISTERED]
    assert results[1].reason == "Unregistered"
    assert [r.remove_registration for r in results] == [False, True]
    assert [r.token for r in apns.requests] == [TOKEN, OTHER]


@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [
        (429, "TooManyRequests", PushOutcome.RETRY),
        (500, "InternalServerError", PushOutcome.RETRY),
        (503, "ServiceUnavailable", PushOutcome.RETRY),
        (400, "BadDeviceToken", PushOutcome.BAD_TOKEN),
        (403, "BadCertificate", PushOutcome.FAILED),
    ],
)
def test_apns_errors_are_classified(apns, pusher, status, reason, outcome):
    apns.status_for_token[TOKEN] = (status, reason)
    result = pusher.push(TOKEN)
    assert (result.status, result.reason, result.outcome) == (status, reason, outcome)
    assert result.retryable is (outcome is PushOutcome.RETRY)


def test_a_topic_the_certificate_does_not_cover_is_refused(apns, server_tls, dev_chain_files):
    with ApnsPassPusher(
        topic="pass.fi.lumo.someone-else",
        cert_path=dev_chain_files.certificate,
        key_path=dev_chain_files.key,
        key_password="correct horse battery",
        base_url=apns.base_url,
        ca_file=server_tls[0],
    ) as wrong:
        result = wrong.push(TOKEN)
    assert (result.status, result.reason, result.outcome) == (
        400,
        "TopicDisallowed",
        PushOutcome.FAILED,
    )


def test_many_pushes_share_one_connection(apns, pusher):
    tokens = [f"{i:02x}" * 32 for i in range(5)]
    results = pusher.push_many(tokens)
    assert all(r.outcome is PushOutcome.OK for r in results)
    assert [r.token for r in apns.requests] == tokens
    assert {r.connection for r in apns.requests} == {1}
    assert apns.connections == 1


def test_unreachable_apns_is_retryable(server_tls, dev_chain_files):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with ApnsPassPusher(
        topic=PASS_TYPE_ID,
        cert_path=dev_chain_files.certificate,
        key_path=dev_chain_files.key,
        key_password="correct horse battery",
        base_url=f"https://127.0.0.1:{closed_port}",
        ca_file=server_tls[0],
        timeout=2,
    ) as client:
        result = client.push(TOKEN)
    assert result.outcome is PushOutcome.RETRY
    assert result.status is None


def test_classify_table():
    assert classify(200, None) is PushOutcome.OK
    assert classify(410, "Unregistered") is PushOutcome.UNREGISTERED
    assert classify(400, "DeviceTokenNotForTopic") is PushOutcome.BAD_TOKEN
    assert classify(400, "BadTopic") is PushOutcome.FAILED
    assert classify(429, None) is PushOutcome.RETRY
    assert classify(502, None) is PushOutcome.RETRY
