from sqlalchemy import select

from app import events, outbox
from app.extensions import db
from app.models_base import utcnow
from app.outbox import OutboxJob
from tests.support import purchase, signup


def test_events_after_commit_only_see_committed_changes(app, client, program):
    in_tx, after = [], []
    events.subscribe(events.PURCHASE_RECORDED, in_tx.append)
    events.subscribe(events.POINTS_CHANGED, after.append, after_commit=True)
    try:
        member = signup(client)
        purchase(client, program, member.card_number, "10.00")
        bad = purchase(client, program, member.card_number, "10.00", currency="USD")
        assert bad.status_code == 422
    finally:
        events.unsubscribe(events.PURCHASE_RECORDED, in_tx.append)
        events.unsubscribe(events.POINTS_CHANGED, after.append)
    assert [e["points"] for e in in_tx] == [10]
    assert [(e["pending"], e["delta"]) for e in after] == [(10, 10)]


def test_outbox_job_runs_after_commit_and_never_on_rollback(app):
    ran = []
    outbox.handler("test.ran")(lambda payload: ran.append(payload["n"]))
    with app.app_context():
        outbox.enqueue("test.ran", {"n": 1})
        db.session.rollback()
        assert ran == []
        outbox.enqueue("test.ran", {"n": 2})
        db.session.commit()
    assert ran == [2]
    with app.app_context():
        assert db.session.scalar(select(OutboxJob.status)) == "done"


def test_dedupe_key_coalesces_a_burst(app):
    ran = []
    outbox.handler("test.burst")(lambda payload: ran.append(payload["v"]))
    with app.app_context():
        app.extensions["celery"].conf.task_always_eager = False  # hold the kick
        try:
            for v in range(5):
                outbox.enqueue("test.burst", {"v": v}, dedupe_key="pass:1")
            db.session.commit()
        finally:
            app.extensions["celery"].conf.task_always_eager = True
    with app.app_context():
        assert outbox.dispatch() == 1
    assert ran == [0]


def test_failed_job_is_retried_later_and_runs_once(app):
    calls = []

    def flaky(payload):
        calls.append(payload)
        if len(calls) == 1:
            raise outbox.RetryLater(after_seconds=60, reason="remote 503")

    outbox.handler("test.flaky")(flaky)
    with app.app_context():
        outbox.enqueue("test.flaky", {"x": 1})
        db.session.commit()
        job = db.session.scalar(select(OutboxJob))
        assert (job.status, job.attempts) == ("pending", 1)
        assert "remote 503" in job.last_error
        assert outbox.dispatch() == 0  # not due for a minute
        job.available_at = utcnow()
        db.session.commit()
        assert outbox.dispatch() == 1
        db.session.refresh(job)
        assert (job.status, job.attempts) == ("done", 2)
        assert outbox.dispatch() == 0
    assert len(calls) == 2


def test_crash_between_commit_and_dispatch_loses_nothing(app):
    """The kick never came (the process died): the periodic sweep sends the job, once."""
    sent = []
    outbox.handler("test.crash")(lambda payload: sent.append(payload))
    with app.app_context():
        db.session.add(OutboxJob(topic="test.crash", payload={"p": 1}))
        db.session.commit()
        assert sent == []
        assert outbox.dispatch() == 1
        assert outbox.dispatch() == 0
    assert sent == [{"p": 1}]


def test_a_released_savepoint_is_not_the_commit(app):
    """award_points writes inside a SAVEPOINT; its release must not run after-commit work."""
    ran, seen = [], []
    outbox.handler("test.nested")(lambda payload: ran.append(payload))
    events.subscribe("test.fact", seen.append, after_commit=True)
    try:
        with app.app_context():
            with db.session.begin_nested():
                outbox.enqueue("test.nested", {"n": 1})
                events.publish(db.session, "test.fact", {"n": 1})
            assert ran == [] and seen == []  # savepoint released, nothing committed yet
            db.session.commit()
    finally:
        events.unsubscribe("test.fact", seen.append)
    assert ran == [{"n": 1}]
    assert seen == [{"n": 1}]


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_work(app):
    ran = []
    outbox.handler("test.outer")(lambda payload: ran.append(payload))
    with app.app_context():
        outbox.enqueue("test.outer", {"n": 1})
        try:
            with db.session.begin_nested():
                raise ValueError("a conflict handled inside the transaction")
        except ValueError:
            pass
        db.session.commit()
    assert ran == [{"n": 1}]
