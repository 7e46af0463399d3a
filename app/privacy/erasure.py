"""Erasure: a member's personal data removed, what the accounts need kept under a pseudonym.

Asking (`request_erasure`) ends the membership at once (sessions revoked, codes and claims
voided, the login switched off) and writes the erasure and its outbox job in one transaction.
The job (`privacy.erase`) then runs every registered step in order, each in its own
transaction committed together with the step's name in `steps_done`: a crash half-way leaves
the steps done so far done and the job to the outbox's retry (or its lease, when the worker
died), and the next run goes on from the first step not done. Steps are the core's first
(forfeit the points), then the feature packages' (passes, pushes, games), then the core's last
(mail waiting in the outbox, sessions, consents, and the profile itself). When all have run,
`member.erased` is published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import select

from app import audit, events, outbox
from app.auth.models import User
from app.extensions import db
from app.ledger.service import lock_member
from app.members.models import Member
from app.members.schemas import MemberAuditSchema
from app.members.service import close_membership
from app.models_base import utcnow
from app.privacy.models import Erasure

TOPIC = "privacy.erase"
_EXTENSION = "privacy_erasure_parts"

Step = Callable[[Member, Erasure], None]


@dataclass(frozen=True)
class ErasurePart:
    name: str
    run: Step


def register_erasure_part(app: Flask, name: str, run: Step) -> None:
    """Add a step to this app's erasures (from a package's init_app). `run(member, erasure)`
    runs inside a transaction the runner commits; it must not commit itself. Work for the
    outside world goes through the outbox, written in that transaction."""
    parts = app.extensions.setdefault(_EXTENSION, {})
    if name in parts or name in {p.name for p in _core()}:
        raise ValueError(f"erasure part {name!r} is already registered")
    parts[name] = ErasurePart(name, run)


def _core() -> list[ErasurePart]:
    from app.privacy.core_parts import ERASE_FIRST, ERASE_LAST

    return [*ERASE_FIRST, *ERASE_LAST]


def erasure_parts(app: Flask | None = None) -> list[ErasurePart]:
    """The core's first steps, the features' in the order they were added, the core's last."""
    from app.privacy.core_parts import ERASE_FIRST, ERASE_LAST

    app = app or current_app
    return [*ERASE_FIRST, *app.extensions.get(_EXTENSION, {}).values(), *ERASE_LAST]


def _dedupe_key(erasure: Erasure) -> str:
    return f"{TOPIC}:{erasure.public_id}"


def request_erasure(member: Member, by: User) -> Erasure:
    """Erase `member`, asked by `by` (the member or an operator): idempotent. Committed; the
    erasure runs after the commit (in a worker, or in-process without a broker)."""
    lock_member(member.id)
    # Read after the lock: an erasure asked for at the same moment is seen here.
    erasure = db.session.scalar(select(Erasure).where(Erasure.member_id == member.id))
    if erasure is None:
        audit.record("member.erase", member, schema=MemberAuditSchema, actor=by)
        erasure = Erasure(
            member_id=member.id,
            requested_by=by.public_id,
            requested_role=by.role,
            steps_done=[],
        )
        db.session.add(erasure)
        db.session.get(User, member.user_id).active = False
        close_membership(member, "erased")
        db.session.flush()
        outbox.enqueue(TOPIC, {"erasure_id": erasure.id}, dedupe_key=_dedupe_key(erasure))
    elif erasure.completed_at is None:
        # Asked again while unfinished (its job may have given up): run it again.
        outbox.enqueue(TOPIC, {"erasure_id": erasure.id}, dedupe_key=_dedupe_key(erasure))
    db.session.commit()
    return erasure


def _locked(erasure_id: int) -> Erasure:
    return db.session.execute(
        select(Erasure)
        .where(Erasure.id == erasure_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def run_erasure(erasure_id: int) -> Erasure:
    """Run every step not done yet, each committed on its own; then mark it completed."""
    for part in erasure_parts():
        # The erasure's row lock: two runs of one erasure (a retry beside a lease-expired job)
        # take turns, and the second sees the first's steps as done.
        erasure = _locked(erasure_id)
        if erasure.completed_at is not None or part.name in erasure.steps_done:
            db.session.commit()
            continue
        member = lock_member(erasure.member_id)
        part.run(member, erasure)
        erasure.steps_done = [*erasure.steps_done, part.name]
        db.session.commit()
    erasure = _locked(erasure_id)
    if erasure.completed_at is None:
        erasure.completed_at = utcnow()
        member = db.session.get(Member, erasure.member_id)
        events.publish(
            db.session,
            events.MEMBER_ERASED,
            {"member_id": member.id, "member_public_id": member.public_id},
        )
    db.session.commit()
    return erasure


@outbox.handler(TOPIC)
def _run(payload: dict) -> None:
    run_erasure(payload["erasure_id"])
