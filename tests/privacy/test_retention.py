"""Retention: exactly the rows past their period are deleted, in batches; a dry run deletes
nothing and says what a run would."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import AuthSession, PasswordResetToken, User
from app.extensions import db
from app.idempotency import IdempotencyRecord
from app.models_base import utcnow
from app.outbox import OutboxJob
from app.retention import service

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def _seed_core_rows(app) -> dict[str, set[str]]:
    """Rows on both sides of each core period; returns the keys of those that must stay."""
    now = utcnow()
    refresh = app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    keep: dict[str, set[str]] = {}
    user = User(email="ret@test.example", password_hash="x", role="member")
    db.session.add(user)
    db.session.flush()
    for key, age in (("old-key", 7 * DAY + SECOND), ("new-key", 7 * DAY - 60 * SECOND)):
        db.session.add(
            IdempotencyRecord(
                scope="s", key=key, request_hash="h", status_code=201, created_at=now - age
            )
        )
    keep["idempotency_keys"] = {"new-key"}
    sessions = {
        # The newest refresh token expired: gone, revoked or not.
        "expired": (now - refresh - SECOND, None),
        "expired-revoked": (now - refresh - SECOND, now - 40 * DAY),
        # Revoked, but its refresh token is still within its lifetime: kept until then.
        "revoked-recently": (now - DAY, now - DAY),
        # Created long ago, refreshed yesterday: a live session.
        "live": (now - DAY, None),
    }
    for jti, (refreshed, revoked) in sessions.items():
        db.session.add(
            AuthSession(
                user_id=user.id,
                current_refresh_jti=jti,
                created_at=now - 90 * DAY,
                refreshed_at=refreshed,
                revoked_at=revoked,
            )
        )
    keep["auth_sessions"] = {"revoked-recently", "live"}
    jobs = {
        "done-old": ("done", now - 7 * DAY - SECOND),
        "done-new": ("done", now - 6 * DAY),
        # Given up: kept for the operators, however old.
        "failed-old": ("failed", now - 30 * DAY),
        "pending-old": ("pending", None),
    }
    for name, (status, finished) in jobs.items():
        db.session.add(
            OutboxJob(
                topic="test.retention",
                payload={"name": name},
                status=status,
                finished_at=finished,
                created_at=now - 30 * DAY,
            )
        )
    keep["outbox_jobs"] = {"done-new", "failed-old", "pending-old"}
    for token, expired in (("t-old", 8 * DAY), ("t-new", DAY)):
        db.session.add(
            PasswordResetToken(user_id=user.id, token_hash=token, expires_at=now - expired)
        )
    keep["password_reset_tokens"] = {"t-new"}
    db.session.commit()
    return keep


def _left() -> dict[str, set[str]]:
    return {
        "idempotency_keys": set(db.session.scalars(select(IdempotencyRecord.key))),
        "auth_sessions": set(db.session.scalars(select(AuthSession.current_refresh_jti))),
        "outbox_jobs": {
            job.payload["name"]
            for job in db.session.scalars(
                select(OutboxJob).where(OutboxJob.topic == "test.retention")
            )
        },
        "password_reset_tokens": set(db.session.scalars(select(PasswordResetToken.token_hash))),
    }


def test_exactly_what_is_past_its_period_is_deleted(app):
    with app.app_context():
        keep = _seed_core_rows(app)
        everything = _left()
        planned = {r.name: r.rows for r in service.plan()}
        assert {name: planned[name] for name in keep} == {
            name: len(everything[name] - keep[name]) for name in keep
        }
        # The dry run changed nothing.
        assert _left() == everything
        deleted = {r.name: r.rows for r in service.run()}
        assert _left() == keep
        assert {name: deleted[name] for name in keep} == {
            "idempotency_keys": 1,
            "auth_sessions": 2,
            "outbox_jobs": 1,
            "password_reset_tokens": 1,
        }
        # A second run finds nothing more.
        assert all(r.rows == 0 for r in service.run())


def test_batches_are_small_and_each_is_committed(app):
    app.config["RETENTION_BATCH_SIZE"] = 3
    with app.app_context():
        old = utcnow() - 30 * DAY
        for i in range(10):
            db.session.add(
                IdempotencyRecord(scope="b", key=f"k{i}", request_hash="h", created_at=old)
            )
        db.session.commit()
        batches: list[int] = []
        service.run(
            progress=lambda rule, rows: (
                batches.append(rows) if rule.name == "idempotency_keys" else None
            )
        )
        assert batches == [3, 3, 3, 1]
        assert db.session.scalar(select(IdempotencyRecord.id)) is None


def test_the_command_dry_run_and_run(app):
    with app.app_context():
        keep = _seed_core_rows(app)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "idempotency_keys: would delete 1" in dry.stdout
    assert "auth_sessions: would delete 2" in dry.stdout
    with app.app_context():
        assert _left() != keep
    real = runner.invoke(args=["retention", "run"])
    assert real.exit_code == 0, real.output
    assert "outbox_jobs: deleted 1" in real.stdout
    assert "deleting" in real.stderr  # click's progress bar
    with app.app_context():
        assert _left() == keep


def test_beat_runs_it_daily(app):
    from app.extensions import celery

    entry = celery.conf.beat_schedule["retention-run"]
    assert entry["task"] == "retention.run"
    assert "retention.run" in celery.tasks
