"""The operators' changes to the program: tiers, regions and stores, rewards, earning rules.

Each function checks its rules, records its audit entry and commits; the admin endpoints and
the console call the same ones, with data as the admin schemas load it.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from app import audit
from app.admin.schemas import ProgramSchema, RegionSchema, StoreSchema, TierSchema
from app.errors import ApiError, not_found
from app.extensions import db
from app.lookup import apply, optional_ref
from app.program.models import Program
from app.program.service import get_program, update_program
from app.purchases.models import EarningRule
from app.purchases.schemas import EarningRuleSchema
from app.rewards.models import Reward
from app.rewards.schemas import RewardSchema
from app.rewards.service import set_stock
from app.schemas import to_minor
from app.stores.models import Region, Store
from app.tiers.models import Tier
from app.tiers.service import all_tiers, check_tier_codes, forget_cached_tiers


def change_program(changes: dict) -> Program:
    audit.record("program.update", get_program(), schema=ProgramSchema)
    return update_program(changes)


def _save_tier(tier: Tier) -> Tier:
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "tier_conflict", "Another tier has this code or rank.") from None
    forget_cached_tiers()
    ordered = all_tiers()
    thresholds = [t.threshold_points for t in ordered]
    if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
        db.session.rollback()
        raise ApiError(422, "tier_order_invalid", "Higher tiers must need strictly more points.")
    db.session.commit()
    return tier


def create_tier(data: dict) -> Tier:
    tier = Tier(**data)
    db.session.add(tier)
    audit.record("tier.create", tier, schema=TierSchema, created=True)
    return _save_tier(tier)


def tier_by_code(code: str) -> Tier:
    tier = next((t for t in all_tiers() if t.code == code), None)
    if tier is None:
        raise not_found("tier")
    return tier


def update_tier(tier: Tier, changes: dict) -> Tier:
    audit.record("tier.update", tier, schema=TierSchema)
    apply(tier, changes)
    return _save_tier(tier)


def _commit_unique(what: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, f"{what}_conflict", f"Another {what} has this code.") from None


def create_region(data: dict) -> Region:
    region = Region(**data)
    db.session.add(region)
    audit.record("region.create", region, schema=RegionSchema, created=True)
    _commit_unique("region")
    return region


def update_region(region: Region, changes: dict) -> Region:
    audit.record("region.update", region, schema=RegionSchema)
    apply(region, changes)
    _commit_unique("region")
    return region


def create_store(data: dict) -> Store:
    values = {**data, "region_id": optional_ref(Region, data["region_id"], "region_id")}
    store = Store(**values)
    db.session.add(store)
    audit.record("store.create", store, schema=StoreSchema, created=True)
    _commit_unique("store")
    return store


def update_store(store: Store, changes: dict) -> Store:
    audit.record("store.update", store, schema=StoreSchema)
    changes = dict(changes)
    if "region_id" in changes:
        changes["region_id"] = optional_ref(Region, changes["region_id"], "region_id")
    apply(store, changes)
    _commit_unique("store")
    db.session.refresh(store)
    return store


def create_reward(data: dict) -> Reward:
    check_tier_codes(data.get("tiers", []))
    reward = Reward(**data)
    db.session.add(reward)
    audit.record("reward.create", reward, schema=RewardSchema, created=True)
    db.session.commit()
    return reward


def update_reward(reward: Reward, changes: dict) -> Reward:
    audit.record("reward.update", reward, schema=RewardSchema)
    check_tier_codes(changes.get("tiers", []))
    changes = dict(changes)
    if "stock_remaining" in changes:
        reward = set_stock(reward, changes.pop("stock_remaining"))
    apply(reward, changes)
    db.session.commit()
    return reward


def retire_reward(reward: Reward) -> Reward:
    """Rewards are retired, not deleted: past redemptions still point at them."""
    audit.record("reward.retire", reward, schema=RewardSchema)
    reward.active = False
    db.session.commit()
    return reward


def _rule_values(data: dict) -> dict:
    values = dict(data)
    if "store_id" in values:
        values["store_id"] = optional_ref(Store, values["store_id"], "store_id")
    if "region_id" in values:
        values["region_id"] = optional_ref(Region, values["region_id"], "region_id")
    if "min_amount" in values:
        amount = values.pop("min_amount")
        values["min_amount_minor"] = to_minor(amount) if amount is not None else 0
    return values


def _check_rule(rule: EarningRule) -> None:
    if rule.kind == "multiplier" and rule.multiplier is None:
        raise ApiError(422, "validation_error", "A multiplier rule needs `multiplier`.")
    if rule.kind == "fixed" and not rule.fixed_points:
        raise ApiError(422, "validation_error", "A fixed rule needs `fixed_points`.")
    if rule.starts_at and rule.ends_at and rule.ends_at <= rule.starts_at:
        raise ApiError(422, "validation_error", "`ends_at` must be after `starts_at`.")


def create_rule(data: dict) -> EarningRule:
    rule = EarningRule(**_rule_values(data))
    _check_rule(rule)
    db.session.add(rule)
    audit.record("earning_rule.create", rule, schema=EarningRuleSchema, created=True)
    db.session.commit()
    return rule


def update_rule(rule: EarningRule, changes: dict) -> EarningRule:
    audit.record("earning_rule.update", rule, schema=EarningRuleSchema)
    apply(rule, _rule_values(changes))
    _check_rule(rule)
    db.session.commit()
    return rule


def switch_off_rule(rule: EarningRule) -> None:
    """Purchases that earned by the rule keep their reference."""
    audit.record("earning_rule.delete", rule, schema=EarningRuleSchema)
    rule.active = False
    db.session.commit()
