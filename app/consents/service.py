"""Consents: appending to the record, and reading the current state and the history from it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app.consents.models import (
    EMAIL,
    MARKETING_PUSH,
    PURPOSES,
    REQUIRED,
    TERMS,
    ConsentRecord,
)
from app.errors import ApiError
from app.extensions import db
from app.ledger.service import lock_member
from app.members.models import Member

# What GET /me/consents lists of the history; the export has all of it.
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class ConsentState:
    """A member's current answer for one purpose (the newest record), beside today's text."""

    purpose: str
    granted: bool
    text_version: str | None
    channel: str | None
    recorded_at: datetime | None
    current_text_version: str

    @property
    def up_to_date(self) -> bool:
        return self.granted and self.text_version == self.current_text_version


def text_version(purpose: str) -> str:
    return current_app.config["CONSENT_TEXT_VERSIONS"][purpose]


def _append(member_id: int, purpose: str, granted: bool, channel: str, version: str) -> None:
    db.session.add(
        ConsentRecord(
            member_id=member_id,
            purpose=purpose,
            granted=granted,
            text_version=version,
            channel=channel,
        )
    )


def _expire(member: Member) -> None:
    # The column property is read with the member: read it again after a new record.
    if member in db.session:
        db.session.expire(member, ["marketing_consent"])


def record_signup(
    member: Member, *, marketing_push: bool, email: bool, terms_version: str | None = None
) -> None:
    """The first records of a new member: the terms and data processing agreed to, and the
    marketing answers given (a "no" is recorded too: it proves what was asked)."""
    for purpose in REQUIRED:
        version = text_version(purpose)
        if purpose == TERMS and terms_version is not None and terms_version != version:
            raise _outdated(TERMS, terms_version)
        _append(member.id, purpose, True, "signup", version)
    _append(member.id, MARKETING_PUSH, marketing_push, "signup", text_version(MARKETING_PUSH))
    _append(member.id, EMAIL, email, "signup", text_version(EMAIL))
    _expire(member)


def _outdated(purpose: str, given: str) -> ApiError:
    return ApiError(
        409,
        "consent_version_outdated",
        "That is not the current text of this consent; show the member the current one.",
        {"purpose": purpose, "given": given, "current": text_version(purpose)},
    )


def _newest(member_id: int) -> dict[str, ConsentRecord]:
    newest_ids = (
        select(func.max(ConsentRecord.id))
        .where(ConsentRecord.member_id == member_id)
        .group_by(ConsentRecord.purpose)
    )
    rows = db.session.scalars(select(ConsentRecord).where(ConsentRecord.id.in_(newest_ids)))
    return {row.purpose: row for row in rows}


def current(member_id: int) -> list[ConsentState]:
    """Every purpose, in a fixed order, with the member's newest answer (none: not granted)."""
    newest = _newest(member_id)
    states = []
    for purpose in PURPOSES:
        row = newest.get(purpose)
        states.append(
            ConsentState(
                purpose=purpose,
                granted=bool(row and row.granted),
                text_version=row.text_version if row else None,
                channel=row.channel if row else None,
                recorded_at=row.recorded_at if row else None,
                current_text_version=text_version(purpose),
            )
        )
    return states


def history(member_id: int, limit: int | None = HISTORY_LIMIT) -> list[ConsentRecord]:
    """Newest first."""
    stmt = (
        select(ConsentRecord)
        .where(ConsentRecord.member_id == member_id)
        .order_by(ConsentRecord.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def all_records(member_id: int) -> Iterator[ConsentRecord]:
    """Oldest first, streamed: the export's history."""
    return iter(
        db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.member_id == member_id)
            .order_by(ConsentRecord.id)
            .execution_options(yield_per=500)
        )
    )


def change(member: Member, changes: Iterable[dict], channel: str) -> list[ConsentState]:
    """The member's answers: a record is added for each one that differs from the current state
    (or agrees to a newer text); an answer that changes nothing adds nothing. Committed."""
    changes = list(changes)
    purposes = [c["purpose"] for c in changes]
    if len(set(purposes)) != len(purposes):
        raise ApiError(
            422,
            "validation_error",
            "Give each purpose once.",
            {"fields": {"consents": ["duplicate purpose"]}},
        )
    # One member's answers one transaction at a time: the newest record is what we compare with.
    lock_member(member.id)
    state = {s.purpose: s for s in current(member.id)}
    for item in changes:
        purpose, granted = item["purpose"], item["granted"]
        version = text_version(purpose)
        given = item.get("text_version")
        if granted and given is not None and given != version:
            raise _outdated(purpose, given)
        if not granted and purpose in REQUIRED:
            raise ApiError(
                409,
                "consent_required",
                "The membership rests on this consent; to withdraw it, delete the account.",
                {"purpose": purpose},
            )
        now = state[purpose]
        if granted == now.granted and (not granted or now.text_version == version):
            continue
        _append(member.id, purpose, granted, channel, version)
    db.session.commit()
    _expire(member)
    return current(member.id)


def set_marketing(member: Member, granted: bool, channel: str = "app") -> None:
    """The profile's `marketing_consent` switch (PATCH /me): the push marketing consent, through
    the record like any other answer (no commit)."""
    now = db.session.scalar(
        select(ConsentRecord.granted)
        .where(ConsentRecord.member_id == member.id, ConsentRecord.purpose == MARKETING_PUSH)
        .order_by(ConsentRecord.id.desc())
        .limit(1)
    )
    if bool(now) != granted:
        _append(member.id, MARKETING_PUSH, granted, channel, text_version(MARKETING_PUSH))
    _expire(member)


def withdraw_marketing(member_id: int, channel: str) -> None:
    """Erasure: nothing is sent to an erased member; the record says so (no commit)."""
    newest = _newest(member_id)
    for purpose in (MARKETING_PUSH, EMAIL):
        row = newest.get(purpose)
        if row is not None and row.granted:
            _append(member_id, purpose, False, channel, row.text_version)
