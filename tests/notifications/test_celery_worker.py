"""A real Celery worker on Redis fans a campaign out and delivers it to the fake FCM."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.fakes.fcm import FakeFcm
from tests.notifications.helpers import (
    get_campaign,
    make_campaign,
    make_segment,
    member_with_device,
    send_campaign,
)
from tests.support import celery_worker, seed_program

REDIS_URL = os.environ.get("REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 5  # the push suite's own database, emptied below

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set"),
]


def test_worker_delivers_a_campaign_through_redis(
    make_push_app, fake_fcm: FakeFcm, service_account_file: Path
) -> None:
    import redis

    broker = f"{REDIS_URL.rsplit('/', 1)[0]}/{REDIS_DB}"
    redis.Redis.from_url(broker).flushdb()
    app = make_push_app(CELERY_BROKER_URL=broker)
    assert app.extensions["celery"].conf.task_always_eager is False
    program = seed_program(app)
    client = app.test_client()
    _, fi_phone = member_with_device(client, language="fi", name="Aino")
    _, pl_phone = member_with_device(client, language="pl", name="Jan")
    member_with_device(client, language="en", consent=False)
    segment = make_segment(client, program, {"languages": ["fi", "pl", "en"]})
    campaign = make_campaign(client, program, segment_id=segment)

    env = os.environ | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": "worker-test-secret-0123456789abcdef",
        "FEATURES": "notifications",
        "FIREBASE_CREDENTIALS_FILE": str(service_account_file),
        "FCM_ENDPOINT": fake_fcm.url,
        "PUSH_QUIET_HOURS": "",
        "PUSH_DAILY_CAP": "0",
        "LOG_LEVEL": "WARNING",
    }
    with celery_worker(env):
        queued = send_campaign(client, program, campaign["id"])
        assert queued["status"] == "sending"  # nothing ran in this process
        deadline = time.monotonic() + 60
        counts = {}
        while time.monotonic() < deadline:
            counts = get_campaign(client, program, campaign["id"])["counts"]
            if counts["sent"] == 2:
                break
            time.sleep(0.3)
        assert counts["sent"] == 2, counts
    assert fake_fcm.violations == []
    titles = {m["fid"]: m["notification"]["title"] for m in fake_fcm.delivered}
    assert titles == {
        fi_phone["fid"]: "Hei Aino, tuplapisteet",
        pl_phone["fid"]: "Cześć Jan, podwójne punkty",
    }
    assert get_campaign(client, program, campaign["id"])["status"] == "sent"
