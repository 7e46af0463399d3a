"""How many points a purchase earns: base points, the tier's multiplier, then bonus rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import or_, select

from app.extensions import db
from app.purchases.models import EarningRule


@dataclass
class Earning:
    base: int = 0
    bonus: int = 0
    rules: list[str] = field(default_factory=list)
    # Base points before the tier multiplier: what multiplier bonuses multiply.
    plain: Decimal = Decimal(0)

    @property
    def total(self) -> int:
        return self.base + self.bonus


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def matching_rules(
    store_id: int, region_id: int, channel: str, amount_minor: int, at: datetime
) -> list[EarningRule]:
    stmt = select(EarningRule).where(
        EarningRule.active,
        or_(EarningRule.store_id.is_(None), EarningRule.store_id == store_id),
        or_(EarningRule.region_id.is_(None), EarningRule.region_id == region_id),
        or_(EarningRule.channel.is_(None), EarningRule.channel == channel),
        or_(EarningRule.starts_at.is_(None), EarningRule.starts_at <= at),
        or_(EarningRule.ends_at.is_(None), EarningRule.ends_at > at),
        EarningRule.min_amount_minor <= amount_minor,
    )
    return list(db.session.scalars(stmt.order_by(EarningRule.id)))


def compute(
    amount_minor: int,
    base_per_unit: Decimal,
    tier_multiplier: Decimal,
    rules: list[EarningRule],
) -> Earning:
    """Every matching rule applies and they add up; each rule's bonus is rounded down."""
    units = Decimal(amount_minor) / 100
    plain = units * base_per_unit
    earning = Earning(base=_floor(plain * tier_multiplier), plain=plain)
    for rule in rules:
        if rule.kind == "multiplier" and rule.multiplier is not None:
            earning.bonus += max(0, _floor(plain * (rule.multiplier - 1)))
        elif rule.kind == "fixed" and rule.fixed_points:
            earning.bonus += rule.fixed_points
        earning.rules.append(rule.public_id)
    return earning
