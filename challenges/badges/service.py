"""Badges: named achievements granted by challenges, quizzes and contests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.lookup import apply, by_public_id
from app.members.models import Member
from app.schemas import Augmented
from challenges.badges.models import Badge, MemberBadge
from challenges.common import check_code_free


def badge_by_code(code: str | None) -> Badge | None:
    if not code:
        return None
    return db.session.scalar(select(Badge).where(Badge.code == code))


def by_codes(codes: Iterable[str | None]) -> dict[str, Badge]:
    """Badges by code, in one query (lists show many games, each naming its badges)."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return {b.code: b for b in db.session.scalars(select(Badge).where(Badge.code.in_(wanted)))}


def by_ids(ids: Iterable[int | None]) -> dict[int, Badge]:
    """Badges by internal id, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {b.id: b for b in db.session.scalars(select(Badge).where(Badge.id.in_(wanted)))}


def grant(member_id: int, badge_id: int, source: str) -> bool:
    """Give a member a badge once; returns False when they already hold it."""
    exists = db.session.scalar(
        select(MemberBadge.id).where(
            MemberBadge.member_id == member_id, MemberBadge.badge_id == badge_id
        )
    )
    if exists is not None:
        return False
    try:
        # A savepoint: a racing grant of the same badge must not undo the caller's work.
        with db.session.begin_nested():
            db.session.add(MemberBadge(member_id=member_id, badge_id=badge_id, source=source))
    except IntegrityError:
        return False
    return True


def revoke(member_id: int, badge_id: int, source: str) -> bool:
    """Take back a badge that `source` granted (a badge held from elsewhere stays)."""
    gone = db.session.execute(
        delete(MemberBadge)
        .where(
            MemberBadge.member_id == member_id,
            MemberBadge.badge_id == badge_id,
            MemberBadge.source == source,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(gone.rowcount)


def held_by(member: Member) -> list[Augmented]:
    """The member's badges, oldest first, each with when and by what it was granted."""
    rows = db.session.execute(
        select(Badge, MemberBadge)
        .join(MemberBadge, MemberBadge.badge_id == Badge.id)
        .where(MemberBadge.member_id == member.id)
        .order_by(MemberBadge.granted_at, MemberBadge.id)
    )
    return [
        Augmented(badge, granted_at=held.granted_at, source=held.source) for badge, held in rows
    ]


# Admins' definitions.


def create(data: dict[str, Any]) -> Badge:
    check_code_free(Badge, data["code"])
    badge = Badge(**data)
    db.session.add(badge)
    db.session.commit()
    return badge


def update(public_id: str, changes: dict[str, Any]) -> Badge:
    badge = by_public_id(Badge, public_id, "badge")
    apply(badge, changes)
    db.session.commit()
    return badge


def every_badge() -> list[Badge]:
    return list(db.session.scalars(select(Badge).order_by(Badge.id)))


def holds_badges(codes: list[str], _rules: dict):
    """Segment criterion `badges`: the member holds every one of these badges."""
    from sqlalchemy import and_, exists

    return and_(
        *(
            exists().where(
                MemberBadge.member_id == Member.id,
                MemberBadge.badge_id == Badge.id,
                Badge.code == code,
            )
            for code in codes
        )
    )
