"""What FCM answers becomes each delivery's status; dead tokens are pruned, passing failures
retried by the outbox, and a job that crashed halfway sends each push once when retried."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from app.extensions import db
from notifications.devices.models import Device
from notifications.sending.outcomes import Outcome, SendReport
from notifications.sending.push import Push
from notifications.state import EXTENSION, current_sender
from tests.fakes.fcm import FakeFcm
from tests.notifications.helpers import (
    deliveries,
    get_campaign,
    jobs,
    make_campaign,
    member_with_device,
    run_due_jobs,
    send_campaign,
)
from tests.support import seed_program


def test_unregistered_and_invalid_tokens_are_pruned(
    client, program, app, fake_fcm: FakeFcm
) -> None:
    alive, alive_phone = member_with_device(client)
    gone, gone_phone = member_with_device(client)
    legacy, _ = member_with_device(client, fid=None, token="mangled-token")
    fake_fcm.fail(gone_phone["fid"], "UNREGISTERED")
    fake_fcm.fail("mangled-token", "INVALID_ARGUMENT")

    campaign = make_campaign(client, program)
    send_campaign(client, program, campaign["id"])

    statuses = {d.member_id: (d.status, d.error_code) for d in deliveries(app)}
    with app.app_context():
        ids = dict(db.session.execute(select(Device.public_id, Device.member_id)).all())
        devices = {d.public_id: d for d in db.session.scalars(select(Device))}
        assert devices[gone_phone["id"]].active is False
        assert devices[gone_phone["id"]].deactivated_reason == "UNREGISTERED"
        assert devices[alive_phone["id"]].active is True
        legacy_device = next(d for d in devices.values() if d.token == "mangled-token")
        assert (legacy_device.active, legacy_device.deactivated_reason) == (
            False,
            "INVALID_ARGUMENT",
        )
    assert statuses[ids[gone_phone["id"]]] == ("token_removed", "UNREGISTERED")
    assert statuses[ids[alive_phone["id"]]] == ("sent", None)
    assert statuses[legacy_device.member_id] == ("token_removed", "INVALID_ARGUMENT")
    counts = get_campaign(client, program, campaign["id"])["counts"]
    assert (counts["sent"], counts["token_removed"]) == (1, 2)
    # The member's app no longer lists it, and the next campaign does not try it again.
    assert client.get("/api/v1/me/devices", headers=gone.headers).get_json() == []
    before = fake_fcm.attempts(gone_phone["fid"])
    send_campaign(client, program, make_campaign(client, program, name="Next")["id"])
    assert fake_fcm.attempts(gone_phone["fid"]) == before == 1
    assert alive and legacy


def test_passing_failures_are_retried_later_by_the_outbox(client, program, app, fake_fcm) -> None:
    member, phone = member_with_device(client)
    fake_fcm.fail(phone["fid"], "QUOTA_EXCEEDED", times=1, retry_after="120")
    campaign = make_campaign(client, program)
    send_campaign(client, program, campaign["id"])

    (delivery,) = deliveries(app)
    assert (delivery.status, delivery.error_code, delivery.attempts) == (
        "pending",
        "QUOTA_EXCEEDED",
        1,
    )
    (job,) = jobs(app, "push.deliveries.send")
    assert job.status == "pending"  # RetryLater: the job waits for FCM's Retry-After
    assert 100 < (job.available_at - delivery.created_at).total_seconds() < 200
    assert get_campaign(client, program, campaign["id"])["counts"]["pending"] == 0
    assert get_campaign(client, program, campaign["id"])["counts"]["scheduled"] == 1

    run_due_jobs(app)
    (delivery,) = deliveries(app)
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert fake_fcm.attempts(phone["fid"]) == 2
    assert [m["data"]["delivery_id"] for m in fake_fcm.delivered] == [delivery.public_id]
    assert member


def test_a_push_fcm_keeps_refusing_is_given_up(make_push_app, fake_fcm) -> None:
    app = make_push_app(PUSH_MAX_DELIVERY_ATTEMPTS="2")
    client = app.test_client()
    program = seed_program(app)
    _, phone = member_with_device(client)
    # (429: firebase-admin hands it straight back; a 503 it would first retry for seconds.)
    fake_fcm.fail(phone["fid"], "QUOTA_EXCEEDED")
    send_campaign(client, program, make_campaign(client, program)["id"])
    run_due_jobs(app)
    run_due_jobs(app)
    (delivery,) = deliveries(app)
    assert (delivery.status, delivery.error_code, delivery.attempts) == (
        "failed",
        "QUOTA_EXCEEDED",
        2,
    )
    assert fake_fcm.attempts(phone["fid"]) == 2
    assert jobs(app, "push.deliveries.send")[0].status == "done"


class CrashAfter:
    """A sender that dies (as a killed worker would) before its ``calls``+1-th send."""

    def __init__(self, real, calls: int) -> None:
        self.real, self.calls, self.crashed = real, calls, False

    def send(self, pushes: Sequence[Push]) -> SendReport:
        if self.calls == 0:
            self.crashed = True
            raise RuntimeError("worker killed")
        self.calls -= 1
        return self.real.send(pushes)

    def close(self) -> None:
        pass


def test_a_send_job_retried_after_a_crash_sends_each_push_once(make_push_app, fake_fcm) -> None:
    app = make_push_app(FCM_BATCH_SIZE="2")  # five pushes in three batches
    client = app.test_client()
    program = seed_program(app)
    phones = [member_with_device(client)[1]["fid"] for _ in range(5)]
    with app.app_context():
        crashing = CrashAfter(current_sender(), calls=1)
        app.extensions[EXTENSION]["sender"] = crashing

    send_campaign(client, program, make_campaign(client, program)["id"])

    assert crashing.crashed
    (job,) = jobs(app, "push.deliveries.send")
    assert (job.status, job.attempts) == ("pending", 1)
    assert "worker killed" in job.last_error
    assert len(fake_fcm.delivered) == 2
    assert Counter(d.status for d in deliveries(app)) == {"sent": 2, "pending": 3}

    crashing.calls = 10  # the retried job runs on a healthy worker
    run_due_jobs(app, as_if_later=True)

    assert Counter(d.status for d in deliveries(app)) == {"sent": 5}
    assert Counter(m["fid"] for m in fake_fcm.delivered) == dict.fromkeys(phones, 1)
    assert jobs(app, "push.deliveries.send")[0].status == "done"


def test_a_fanout_retried_after_a_crash_makes_and_sends_each_push_once(
    make_push_app, fake_fcm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications.delivery import fanout as campaign_fanout

    app = make_push_app()
    client = app.test_client()
    program = seed_program(app)
    phones = [member_with_device(client)[1]["fid"] for _ in range(4)]
    monkeypatch.setattr(campaign_fanout, "ROWS_PER_CHUNK", 2)
    real_insert = campaign_fanout.insert_deliveries
    calls = []

    def insert_then_die(rows):
        calls.append(len(rows))
        real_insert(rows)
        if len(calls) == 2:
            raise RuntimeError("worker killed during the fan-out")

    monkeypatch.setattr(campaign_fanout, "insert_deliveries", insert_then_die)
    campaign = make_campaign(client, program)
    send_campaign(client, program, campaign["id"])

    assert calls == [2, 2]
    assert deliveries(app) == []  # rolled back with the job
    assert fake_fcm.delivered == []
    (fanout,) = jobs(app, "push.campaign.fanout")
    assert (fanout.status, fanout.attempts) == ("pending", 1)

    monkeypatch.setattr(campaign_fanout, "insert_deliveries", real_insert)
    run_due_jobs(app)

    assert Counter(m["fid"] for m in fake_fcm.delivered) == dict.fromkeys(phones, 1)
    assert get_campaign(client, program, campaign["id"])["counts"]["sent"] == 4
    # Running the finished fan-out's job again changes nothing.
    with app.app_context():
        assert campaign_fanout.fan_out(1) == 0
    assert len(fake_fcm.delivered) == 4


class Slow:
    """The real sender, taking its time, so that two jobs overlap."""

    def __init__(self, real) -> None:
        self.real = real

    def send(self, pushes: Sequence[Push]) -> SendReport:
        time.sleep(0.3)
        return self.real.send(pushes)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("batch_size", "members"),
    [pytest.param("100", 3, id="one-batch"), pytest.param("2", 7, id="several-batches")],
)
def test_two_jobs_sending_the_same_deliveries_at_once_send_each_once(
    make_push_app, fake_fcm, batch_size: str, members: int
) -> None:
    # With several batches per job, on PostgreSQL a job claims its next batch while the previous
    # one is with FCM, each batch in its own transaction; the other job must still skip them.
    from notifications.delivery.fanout import fan_out
    from notifications.delivery.send_jobs import send_deliveries

    app = make_push_app(FCM_BATCH_SIZE=batch_size)
    client = app.test_client()
    program = seed_program(app)
    phones = [member_with_device(client)[1]["fid"] for _ in range(members)]
    campaign = make_campaign(client, program)
    celery_conf = app.extensions["celery"].conf
    celery_conf.task_always_eager = False  # the fan-out's own send job is held back
    try:
        send_campaign(client, program, campaign["id"])
        with app.app_context():
            fan_out(1)
    finally:
        celery_conf.task_always_eager = True
    ids = [d.id for d in deliveries(app)]
    with app.app_context():
        app.extensions[EXTENSION]["sender"] = Slow(current_sender())
    errors: list[BaseException] = []

    def job() -> None:
        try:
            with app.app_context():
                send_deliveries(ids)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Counter(m["fid"] for m in fake_fcm.delivered) == dict.fromkeys(phones, 1)
    assert Counter(d.status for d in deliveries(app)) == {"sent": members}
    assert {d.attempts for d in deliveries(app)} == {1}


def test_an_app_asks_for_a_new_sender_after_the_process_closed_its_senders(
    make_push_app, fake_fcm
) -> None:
    """close_senders (shutdown, a test's teardown, the fan-out bench between runs) closes the
    process's FCM senders and deletes their firebase-admin apps; an app that had kept one must
    not send through it afterwards."""
    from notifications.sending.fcm import FcmSender
    from notifications.state import close_senders

    app = make_push_app()
    with app.app_context():
        first = current_sender()
        assert isinstance(first, FcmSender)
        close_senders()
        second = current_sender()
        assert second is not first
        push = Push(delivery_id="dlv_again", title="Hi", body="Again", deep_link="", fid="fid-x")
        report = second.send([push])
    assert [r.outcome for r in report.results] == [Outcome.SENT]
    assert [r.message["fid"] for r in fake_fcm.requests][-1:] == ["fid-x"]
