from flask_smorest import Blueprint
from sqlalchemy import select

from app import audit
from app.auth.guards import admin_required
from app.errors import ApiError
from app.extensions import db
from app.lookup import apply, by_public_id, optional_ref
from app.purchases.models import EarningRule
from app.purchases.schemas import EarningRuleSchema
from app.rewards.models import Reward
from app.rewards.schemas import RewardSchema
from app.rewards.service import set_stock
from app.schemas import to_minor
from app.stores.models import Region, Store
from app.tiers.service import check_tier_codes

blp = Blueprint(
    "admin_catalog", __name__, url_prefix="/api/v1/admin", description="Rewards and earning rules"
)


@blp.route("/rewards", methods=["GET"])
@admin_required
@blp.response(200, RewardSchema(many=True))
def rewards():
    return list(db.session.scalars(select(Reward).order_by(Reward.id)))


@blp.route("/rewards", methods=["POST"])
@admin_required
@blp.arguments(RewardSchema)
@blp.response(201, RewardSchema)
def create_reward(data):
    check_tier_codes(data.get("tiers", []))
    reward = Reward(**data)
    db.session.add(reward)
    audit.record("reward.create", reward, schema=RewardSchema, created=True)
    db.session.commit()
    return reward


@blp.route("/rewards/<reward_id>", methods=["PATCH"])
@admin_required
@blp.arguments(RewardSchema(partial=True))
@blp.response(200, RewardSchema)
def patch_reward(changes, reward_id):
    reward = by_public_id(Reward, reward_id, "reward")
    audit.record("reward.update", reward, schema=RewardSchema)
    check_tier_codes(changes.get("tiers", []))
    if "stock_remaining" in changes:
        reward = set_stock(reward, changes.pop("stock_remaining"))
    apply(reward, changes)
    db.session.commit()
    return reward


@blp.route("/rewards/<reward_id>", methods=["DELETE"])
@admin_required
@blp.response(200, RewardSchema)
def retire_reward(reward_id):
    """Rewards are retired, not deleted: past redemptions still point at them."""
    reward = by_public_id(Reward, reward_id, "reward")
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


@blp.route("/earning-rules", methods=["GET"])
@admin_required
@blp.response(200, EarningRuleSchema(many=True))
def rules():
    return list(db.session.scalars(select(EarningRule).order_by(EarningRule.id)))


@blp.route("/earning-rules", methods=["POST"])
@admin_required
@blp.arguments(EarningRuleSchema)
@blp.response(201, EarningRuleSchema)
def create_rule(data):
    rule = EarningRule(**_rule_values(data))
    _check_rule(rule)
    db.session.add(rule)
    audit.record("earning_rule.create", rule, schema=EarningRuleSchema, created=True)
    db.session.commit()
    return rule


@blp.route("/earning-rules/<rule_id>", methods=["PATCH"])
@admin_required
@blp.arguments(EarningRuleSchema(partial=True))
@blp.response(200, EarningRuleSchema)
def patch_rule(changes, rule_id):
    rule = by_public_id(EarningRule, rule_id, "earning_rule")
    audit.record("earning_rule.update", rule, schema=EarningRuleSchema)
    apply(rule, _rule_values(changes))
    _check_rule(rule)
    db.session.commit()
    return rule


@blp.route("/earning-rules/<rule_id>", methods=["DELETE"])
@admin_required
@blp.response(204)
def delete_rule(rule_id):
    """Switches the rule off; purchases that earned by it keep their reference."""
    rule = by_public_id(EarningRule, rule_id, "earning_rule")
    audit.record("earning_rule.delete", rule, schema=EarningRuleSchema)
    rule.active = False
    db.session.commit()
