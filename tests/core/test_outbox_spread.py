"""A burst of outbox jobs spreads over the workers: a dispatcher takes a few jobs at a time and,
when it took a full batch, asks for one more dispatcher (bench/fanout.py's worker runs)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app import outbox
from app.extensions import db
from app.outbox import CLAIM_BATCH, OutboxJob


def _held_burst(app, topic: str, n: int) -> None:
    """n jobs committed with the after-commit kick held back (as if a broker had it)."""
    with app.app_context():
        app.extensions["celery"].conf.task_always_eager = False
        try:
            for i in range(n):
                outbox.enqueue(topic, {"n": i})
            db.session.commit()
        finally:
            app.extensions["celery"].conf.task_always_eager = True


def test_a_dispatcher_takes_a_few_jobs_and_asks_for_help_after_a_full_batch(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[int] = []
    outbox.handler("test.spread")(lambda payload: ran.append(payload["n"]))
    _held_burst(app, "test.spread", 2 * CLAIM_BATCH + 1)
    claimed: list[int] = []
    real_claim = outbox.claim

    def counting_claim(limit: int = 100):
        jobs = real_claim(limit)
        claimed.append(len(jobs))
        return jobs

    kicks = []
    monkeypatch.setattr(outbox, "claim", counting_claim)
    monkeypatch.setattr(outbox.dispatch_outbox, "apply_async", lambda **_: kicks.append(1))
    with app.app_context():
        app.extensions["celery"].conf.task_always_eager = False  # a broker runs the kicks
        try:
            assert outbox.dispatch() == 2 * CLAIM_BATCH + 1
        finally:
            app.extensions["celery"].conf.task_always_eager = True
    assert sorted(ran) == list(range(2 * CLAIM_BATCH + 1))
    assert claimed == [CLAIM_BATCH, CLAIM_BATCH, 1, 0]
    assert len(kicks) == 2  # one per full batch: another worker may take the next


def test_without_a_broker_the_dispatcher_runs_the_burst_alone(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[int] = []
    outbox.handler("test.alone")(lambda payload: ran.append(payload["n"]))
    _held_burst(app, "test.alone", 3 * CLAIM_BATCH)
    kicks = []
    monkeypatch.setattr(outbox.dispatch_outbox, "apply_async", lambda **_: kicks.append(1))
    with app.app_context():
        assert outbox.dispatch() == 3 * CLAIM_BATCH
    assert sorted(ran) == list(range(3 * CLAIM_BATCH))
    assert kicks == []  # eager: a kick would only run here, inside this dispatch


@pytest.mark.postgres
def test_two_workers_share_a_burst_of_slow_jobs_and_run_each_once(pg_app) -> None:
    runs: Counter[int] = Counter()
    by_worker: Counter[str] = Counter()
    lock = threading.Lock()

    def slow(payload: dict) -> None:
        time.sleep(0.05)  # a send job's FCM calls
        with lock:
            runs[payload["n"]] += 1
            by_worker[threading.current_thread().name] += 1

    outbox.handler("test.slow")(slow)
    jobs = 6 * CLAIM_BATCH
    _held_burst(pg_app, "test.slow", jobs)

    def worker(_: int) -> int:
        with pg_app.app_context():
            return outbox.dispatch()

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="worker") as pool:
        assert sum(pool.map(worker, range(2))) == jobs
    assert runs == dict.fromkeys(range(jobs), 1)
    assert len(by_worker) == 2 and min(by_worker.values()) >= CLAIM_BATCH
    with pg_app.app_context():
        done = db.session.scalar(
            select(func.count()).select_from(OutboxJob).where(OutboxJob.status == "done")
        )
        assert done == jobs
