"""An operator's manual correction of a member's points: once per idempotency key, with its
reason and its audit entry. The admin endpoint and the console both call `adjust_once`."""

from __future__ import annotations

from typing import Any

from app import audit
from app.auth.models import User
from app.errors import ApiError
from app.extensions import db
from app.idempotency import run_once
from app.ledger import service as ledger
from app.members.models import Member
from app.members.schemas import EntrySchema, MemberAuditSchema


def adjust_once(
    admin: User, member: Member, points: int, reason: str, key: str
) -> tuple[Any, int, bool]:
    """(body, status, replayed): the entry as `EntrySchema` dumps it, made once per key."""
    if member.ended_at is not None:
        raise ApiError(409, "membership_ended", "This membership has ended.")

    def action() -> tuple[dict, int]:
        audit.record(
            "member.adjust",
            member,
            before=MemberAuditSchema().dump(member),
            after=lambda: {**MemberAuditSchema().dump(member), "entry": EntrySchema().dump(entry)},
        )
        entry = ledger.adjust(member.id, points, reason, admin.public_id)
        db.session.flush()
        return EntrySchema().dump(entry), 201

    payload = {"points": points, "reason": reason, "m": member.public_id}
    return run_once(f"adjust:{admin.public_id}", key, payload, action)
