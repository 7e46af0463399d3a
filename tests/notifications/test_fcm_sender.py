"""FcmSender through the real firebase-admin, google-auth, httpx and requests to the fake FCM."""

from __future__ import annotations

import datetime as dt
import time
import warnings
from collections.abc import Callable

import pytest

from notifications.sending.fcm import FcmSender
from notifications.sending.outcomes import Outcome
from notifications.sending.push import Push
from tests.fakes.fcm import FakeFcm

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
MakeSender = Callable[..., FcmSender]


class Clock:
    """A clock that the sender's backoff sleep moves forward."""

    def __init__(self, start: dt.datetime = NOW) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


def campaign_push(n: int, **overrides: object) -> Push:
    fields: dict[str, object] = {
        "delivery_id": f"dlv_{n}",
        "title": f"Hello {n}",
        "body": "Double points today",
        "deep_link": f"loyalty://campaigns/cmp_7?d={n}",
        "fid": f"fid-{n}",
        "collapse_key": "cmp_7",
        "data": {"campaign_id": "cmp_7"},
    }
    fields.update(overrides)
    return Push(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("mode", "http_version"), [("async", "2"), ("threads", "1.1")])
def test_campaign_reaches_fcm_as_valid_v1_json(
    make_sender: MakeSender, fake_fcm: FakeFcm, mode: str, http_version: str
) -> None:
    clock = Clock()
    ends = NOW + dt.timedelta(hours=2)
    pushes = [
        campaign_push(1, title="Tuplapisteet", expires_at=ends),
        campaign_push(2, fid=None, token="legacy-token-2", title="Podwójne punkty"),
    ]

    report = make_sender(mode=mode, clock=clock).send(pushes)

    assert [r.outcome for r in report.results] == [Outcome.SENT, Outcome.SENT]
    assert all(
        r.message_id and r.message_id.startswith("projects/loyalty-test/messages/")
        for r in report.results
    )
    assert fake_fcm.violations == []
    by_target = {r.target: r for r in fake_fcm.requests}
    offer = by_target[("fid", "fid-1")]
    assert offer.http_version == http_version
    assert offer.headers["authorization"].startswith("Bearer ya29.fake-")
    assert offer.message["notification"] == {"title": "Tuplapisteet", "body": "Double points today"}
    assert offer.message["data"] == {
        "campaign_id": "cmp_7",
        "deep_link": "loyalty://campaigns/cmp_7?d=1",
        "delivery_id": "dlv_1",
    }
    assert offer.message["android"] == {"collapse_key": "cmp_7", "ttl": "7200s"}
    assert offer.message["apns"]["headers"] == {
        "apns-collapse-id": "cmp_7",
        "apns-expiration": str(int(ends.timestamp())),
    }
    legacy = by_target[("token", "legacy-token-2")]
    assert "fid" not in legacy.message
    assert "ttl" not in legacy.message["android"]
    assert report.legacy_token_sends == 1


def test_no_deprecation_warning_from_a_send_to_fids_and_tokens(make_sender: MakeSender) -> None:
    pushes = [campaign_push(1), campaign_push(2, fid=None, token="legacy-token")]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        report = make_sender(mode="async").send(pushes)
        report_threads = make_sender(mode="threads").send(pushes)
    assert report.counts[Outcome.SENT] == 2
    assert report_threads.counts[Outcome.SENT] == 2


@pytest.mark.parametrize("mode", ["async", "threads"])
def test_more_than_500_go_out_in_batches(
    make_sender: MakeSender, fake_fcm: FakeFcm, mode: str
) -> None:
    # firebase-admin raises ValueError for a send_each of more than 500, so all 1,203 arriving
    # shows the sender split them.
    pushes = [campaign_push(n) for n in range(1203)]
    report = make_sender(mode=mode, concurrent_batches=2).send(pushes)
    assert report.counts == {Outcome.SENT: 1203}
    assert sorted(m["fid"] for m in fake_fcm.delivered) == sorted(p.fid for p in pushes)
    assert [r.delivery_id for r in report.results] == [p.delivery_id for p in pushes]


def test_batch_size_over_the_fcm_limit_is_refused(fcm_app) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        FcmSender(fcm_app, batch_size=501)


def test_unregistered_and_invalid_tokens_are_marked_for_deactivation(
    make_sender: MakeSender, fake_fcm: FakeFcm
) -> None:
    fake_fcm.fail("fid-gone", "UNREGISTERED")
    fake_fcm.fail("bad-token", "INVALID_ARGUMENT")
    fake_fcm.fail("fid-other-project", "SENDER_ID_MISMATCH")
    pushes = [
        campaign_push(1),
        campaign_push(2, fid="fid-gone"),
        campaign_push(3, fid=None, token="bad-token"),
        campaign_push(4, fid="fid-other-project"),
    ]

    report = make_sender().send(pushes)

    assert [(r.outcome, r.error_code) for r in report.results] == [
        (Outcome.SENT, None),
        (Outcome.TOKEN_INVALID, "UNREGISTERED"),
        (Outcome.TOKEN_INVALID, "INVALID_ARGUMENT"),
        (Outcome.TOKEN_INVALID, "SENDER_ID_MISMATCH"),
    ]
    assert report.invalid_targets == ["fid-gone", "bad-token", "fid-other-project"]
    # Permanent: no second attempt.
    assert fake_fcm.attempts("fid-gone") == 1
    assert fake_fcm.attempts("bad-token") == 1


def test_a_message_fcm_rejects_fails_without_blaming_the_device(
    make_sender: MakeSender, fake_fcm: FakeFcm
) -> None:
    # firebase-admin does not check the 4 KB data limit; FCM answers INVALID_ARGUMENT with a
    # field violation on the data, and the device must stay active.
    big = campaign_push(1, data={"blob": "x" * 5000})
    report = make_sender().send([big, campaign_push(2)])
    assert report.results[0].outcome is Outcome.FAILED
    assert report.results[0].error_code == "INVALID_ARGUMENT"
    assert report.results[1].outcome is Outcome.SENT
    assert report.invalid_targets == []
    [(field, problem)] = fake_fcm.violations
    assert field == "message.data" and problem.endswith("is over 4096")


def test_quota_exceeded_is_retried_after_fcm_retry_after(
    make_sender: MakeSender, fake_fcm: FakeFcm
) -> None:
    fake_fcm.fail("fid-1", "QUOTA_EXCEEDED", times=1, retry_after="3")
    clock = Clock()
    report = make_sender(clock=clock, sleep=clock.sleep, base_delay=0.5).send(
        [campaign_push(1), campaign_push(2)]
    )
    assert [(r.outcome, r.attempts) for r in report.results] == [
        (Outcome.SENT, 2),
        (Outcome.SENT, 1),
    ]
    assert fake_fcm.attempts("fid-1") == 2
    assert fake_fcm.attempts("fid-2") == 1  # only the failed one is sent again
    assert len(clock.slept) == 1 and clock.slept[0] >= 3.0


def test_retried_offer_keeps_ending_with_the_offer(
    make_sender: MakeSender, fake_fcm: FakeFcm
) -> None:
    fake_fcm.fail("fid-1", "QUOTA_EXCEEDED", times=1, retry_after="30")
    clock = Clock()
    sender = make_sender(clock=clock, sleep=clock.sleep)
    report = sender.send([campaign_push(1, expires_at=NOW + dt.timedelta(hours=1))])
    assert report.results[0].outcome is Outcome.SENT
    assert clock.slept == [30.0]  # Retry-After outweighs the 1 s backoff
    assert [r.message["android"]["ttl"] for r in fake_fcm.requests] == ["3600s", "3570s"]


def test_persistent_failure_is_handed_back_for_a_later_retry(
    make_sender: MakeSender, fake_fcm: FakeFcm
) -> None:
    fake_fcm.fail("fid-1", "QUOTA_EXCEEDED", retry_after="60")
    clock = Clock()
    report = make_sender(clock=clock, sleep=clock.sleep, max_attempts=3).send([campaign_push(1)])
    result = report.results[0]
    assert (result.outcome, result.attempts, result.error_code) == (
        Outcome.RETRY,
        3,
        "QUOTA_EXCEEDED",
    )
    assert fake_fcm.attempts("fid-1") == 3
    assert len(clock.slept) == 2  # between attempts, not after the last
    assert report.retry_after is not None and report.retry_after >= 60
    assert report.to_retry == [campaign_push(1)]


def test_backoff_grows_between_attempts(make_sender: MakeSender, fake_fcm: FakeFcm) -> None:
    fake_fcm.fail("fid-1", "QUOTA_EXCEEDED")  # no Retry-After: our own backoff decides
    clock = Clock()
    make_sender(clock=clock, sleep=clock.sleep, max_attempts=4, base_delay=1.0).send(
        [campaign_push(1)]
    )
    first, second, third = clock.slept
    assert 0.8 <= first <= 1.2
    assert 1.6 <= second <= 2.4
    assert 3.2 <= third <= 4.8


def test_unavailable_and_internal_are_retried_after_the_library_gives_up(
    make_sender: MakeSender, fake_fcm: FakeFcm
) -> None:
    # firebase-admin retries 500 and 503 four times itself (0+1+2+4 s of backoff), so five
    # failures reach us as one; the sixth request, our retry, succeeds.
    fake_fcm.fail("fid-1", "UNAVAILABLE", times=5)
    fake_fcm.fail("fid-2", "INTERNAL", times=5)
    started = time.monotonic()
    report = make_sender().send([campaign_push(1), campaign_push(2), campaign_push(3)])
    assert time.monotonic() - started < 20
    assert [(r.outcome, r.attempts) for r in report.results] == [
        (Outcome.SENT, 2),
        (Outcome.SENT, 2),
        (Outcome.SENT, 1),
    ]
    assert fake_fcm.attempts("fid-1") == 6
    assert fake_fcm.attempts("fid-2") == 6


def test_expired_offer_is_not_sent(make_sender: MakeSender, fake_fcm: FakeFcm) -> None:
    clock = Clock()
    report = make_sender(clock=clock).send(
        [campaign_push(1, expires_at=NOW - dt.timedelta(minutes=1)), campaign_push(2)]
    )
    assert [r.outcome for r in report.results] == [Outcome.EXPIRED, Outcome.SENT]
    assert [m["fid"] for m in fake_fcm.delivered] == ["fid-2"]


def test_async_sender_survives_many_sends(make_sender: MakeSender, fake_fcm: FakeFcm) -> None:
    # A plain asyncio.run(send_each_async(...)) per job fails from the second job on
    # ("Event loop is closed"); the sender's own loop thread must not.
    sender = make_sender(mode="async")
    for n in range(3):
        assert sender.send([campaign_push(n)]).counts == {Outcome.SENT: 1}
    assert len(fake_fcm.delivered) == 3


def test_one_access_token_for_a_threaded_batch(make_sender: MakeSender, fake_fcm: FakeFcm) -> None:
    # Without warming the credential first, each of send_each's threads fetches its own token.
    make_sender(mode="threads").send([campaign_push(n) for n in range(100)])
    assert fake_fcm.token_requests == 1
