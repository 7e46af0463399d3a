"""How many points a purchase earns: base points, the tier's multiplier, then bonus rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import select

from app import settings_cache
from app.extensions import db
from app.purchases.models import EarningRule

settings_cache.watch(EarningRule)


@dataclass(frozen=True)
class Rule:
    """What a purchase needs of an earning rule, as the settings cache keeps it."""

    id: int
    public_id: str
    kind: str
    multiplier: Decimal | None
    fixed_points: int | None
    store_id: int | None
    region_id: int | None
    channel: str | None
    min_amount_minor: int
    starts_at: datetime | None
    ends_at: datetime | None

    def applies(
        self, store_id: int, region_id: int, channel: str, amount_minor: int, at: datetime
    ) -> bool:
        return (
            self.store_id in (None, store_id)
            and self.region_id in (None, region_id)
            and self.channel in (None, channel)
            and (self.starts_at is None or self.starts_at <= at)
            and (self.ends_at is None or self.ends_at > at)
            and self.min_amount_minor <= amount_minor
        )


def _active_rules() -> tuple[Rule, ...]:
    # Every active rule, also those not begun yet: which apply is decided per purchase.
    rows = db.session.scalars(
        select(EarningRule).where(EarningRule.active).order_by(EarningRule.id)
    )
    return tuple(
        Rule(
            id=r.id,
            public_id=r.public_id,
            kind=r.kind,
            multiplier=r.multiplier,
            fixed_points=r.fixed_points,
            store_id=r.store_id,
            region_id=r.region_id,
            channel=r.channel,
            min_amount_minor=r.min_amount_minor,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
        )
        for r in rows
    )


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
) -> list[Rule]:
    """The active rules that apply, from the settings cache (no query per purchase)."""
    rules = settings_cache.cached("earning_rules", _active_rules)
    return [r for r in rules if r.applies(store_id, region_id, channel, amount_minor, at)]


def compute(
    amount_minor: int,
    base_per_unit: Decimal,
    tier_multiplier: Decimal,
    rules: list[Rule],
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
