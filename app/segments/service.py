from __future__ import annotations

from sqlalchemy import Select, func, select

from app.errors import not_found
from app.extensions import db
from app.members.models import Member
from app.segments.models import Segment
from app.segments.rules import compile_rules


def get_segment(public_id: str) -> Segment:
    segment = db.session.scalar(select(Segment).where(Segment.public_id == public_id))
    if segment is None:
        raise not_found("segment")
    return segment


def members_query(segment: Segment | None) -> Select:
    """The members of a segment (everyone when None), active memberships only."""
    stmt = select(Member).where(Member.ended_at.is_(None))
    if segment is not None:
        stmt = stmt.where(compile_rules(segment.rules))
    return stmt


def count(segment: Segment) -> int:
    return db.session.scalar(select(func.count()).select_from(members_query(segment).subquery()))


def sample(segment: Segment, size: int = 10) -> list[Member]:
    return list(db.session.scalars(members_query(segment).order_by(Member.id).limit(size)))


def contains(segment_public_id: str, member_id: int) -> bool:
    segment = db.session.scalar(select(Segment).where(Segment.public_id == segment_public_id))
    if segment is None:
        return False
    stmt = members_query(segment).where(Member.id == member_id).with_only_columns(Member.id)
    return db.session.scalar(stmt) is not None


def validated_rules(rules: dict) -> dict:
    """Rules as they will be stored: checked against every registered criterion."""
    from app.errors import ApiError
    from app.segments.rules import rules_schema

    schema = rules_schema()()
    errors = schema.validate(rules)
    if errors:
        raise ApiError(
            422, "validation_error", "The segment rules are invalid.", {"fields": {"rules": errors}}
        )
    return rules


def save(segment: Segment, name: str | None, rules: dict | None) -> Segment:
    if name is not None:
        segment.name = name
    if rules is not None:
        segment.rules = validated_rules(rules)
    db.session.add(segment)
    db.session.commit()
    return segment
