"""A real Celery worker on the local Redis runs the core's scheduled job end to end."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.ledger.models import PointLot
from app.members.models import Member
from app.models_base import utcnow
from tests.conftest import make_app
from tests.support import celery_worker, purchase, seed_program, signup

REDIS_URL = os.environ.get("REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set"),
]


def test_worker_releases_pending_points_sent_through_redis(tmp_path):
    broker = REDIS_URL
    # A queue of this run's own, so that nothing else on this Redis takes or sends its tasks.
    queue = f"test-worker-{uuid.uuid4().hex[:8]}"
    app = make_app("sqlite", tmp_path, CELERY_BROKER_URL=broker)
    program = seed_program(app)
    client = app.test_client()
    member = signup(client)
    purchase(client, program, member.card_number, "30.00")
    with app.app_context():
        db.session.execute(update(PointLot).values(available_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()

    env = os.environ | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": "worker-test-secret-0123456789abcdef",
    }
    with celery_worker(env, queue):
        with app.app_context():
            from app.ledger.tasks import release_due

            release_due.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        available = 0
        while time.monotonic() < deadline:
            with app.app_context():
                available = db.session.scalar(
                    select(Member.points_available).where(Member.public_id == member.id)
                )
            if available == 30:
                break
            time.sleep(0.5)
        assert available == 30
