"""Segment rules: each criterion becomes one WHERE clause over members; all of them must hold.

Feature packages add criteria of their own (challenges adds `badges`) through `register`, so the
core can filter on their tables without importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import ColumnElement, and_, exists, func, select, true

from app.members.models import Member
from app.models_base import utcnow
from app.purchases.models import Purchase
from app.stores.models import Region, Store
from app.tiers.models import Tier

Compiler = Callable[[Any, dict], ColumnElement[bool]]


@dataclass(frozen=True)
class Criterion:
    field: fields.Field
    compile: Compiler


_criteria: dict[str, Criterion] = {}


def register(name: str, field: fields.Field, compile: Compiler) -> None:
    """Add a criterion: `field` validates its value, `compile(value, rules)` makes the clause."""
    _criteria[name] = Criterion(field, compile)


def criteria() -> dict[str, Criterion]:
    return dict(_criteria)


def rules_schema() -> type[Schema]:
    """A schema of every registered criterion, all optional; unknown criteria are an error."""
    return Schema.from_dict({name: c.field for name, c in _criteria.items()}, name="SegmentRules")


def compile_rules(stored: dict) -> ColumnElement[bool]:
    """Rules as stored (JSON) to one boolean clause over `members`."""
    rules = rules_schema()().load(stored)
    clauses = [
        _criteria[name].compile(value, rules) for name, value in rules.items() if value is not None
    ]
    return and_(true(), *clauses)


def _in_region(codes: list[str]) -> ColumnElement[bool]:
    return Member.home_store_id.in_(
        select(Store.id).join(Region, Region.id == Store.region_id).where(Region.code.in_(codes))
    )


def _purchased_within(days: int, _rules: dict) -> ColumnElement[bool]:
    since = utcnow() - timedelta(days=days)
    return exists().where(Purchase.member_id == Member.id, Purchase.occurred_at >= since)


def _spend(min_amount, rules: dict) -> ColumnElement[bool]:
    since = utcnow() - timedelta(days=rules.get("spend_days") or 365)
    spent = (
        select(func.coalesce(func.sum(Purchase.amount_minor - Purchase.refunded_minor), 0))
        .where(Purchase.member_id == Member.id, Purchase.occurred_at >= since)
        .scalar_subquery()
    )
    return spent >= int(min_amount * 100)


def _core_criteria() -> None:
    strings = fields.List(fields.Str(), validate=validate.Length(min=1, max=500))
    count = validate.Range(min=0, max=10**9)
    register(
        "tiers",
        strings,
        lambda v, _: Member.tier_id.in_(select(Tier.id).where(Tier.code.in_(v))),
    )
    register("languages", strings, lambda v, _: Member.language.in_(v))
    register("regions", strings, lambda v, _: _in_region(v))
    register(
        "home_stores",
        strings,
        lambda v, _: Member.home_store_id.in_(select(Store.id).where(Store.public_id.in_(v))),
    )
    register("points_min", fields.Int(validate=count), lambda v, _: Member.points_available >= v)
    register("points_max", fields.Int(validate=count), lambda v, _: Member.points_available <= v)
    register(
        "purchased_within_days",
        fields.Int(validate=validate.Range(min=1, max=3650)),
        _purchased_within,
    )
    register("joined_from", fields.AwareDateTime(), lambda v, _: Member.joined_at >= v)
    register("joined_to", fields.AwareDateTime(), lambda v, _: Member.joined_at < v)
    register("spend_min", fields.Decimal(validate=validate.Range(min=0)), _spend)
    # Only a modifier of spend_min.
    register(
        "spend_days", fields.Int(validate=validate.Range(min=1, max=3650)), lambda v, _: true()
    )
    register("marketing_consent", fields.Bool(), lambda v, _: Member.marketing_consent.is_(v))


_core_criteria()
