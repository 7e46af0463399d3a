from flask_smorest import Blueprint
from sqlalchemy import select

from app.admin import service
from app.auth.guards import admin_required
from app.extensions import db
from app.lookup import by_public_id
from app.purchases.models import EarningRule
from app.purchases.schemas import EarningRuleSchema
from app.rewards.models import Reward
from app.rewards.schemas import RewardSchema

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
    return service.create_reward(data)


@blp.route("/rewards/<reward_id>", methods=["PATCH"])
@admin_required
@blp.arguments(RewardSchema(partial=True))
@blp.response(200, RewardSchema)
def patch_reward(changes, reward_id):
    return service.update_reward(by_public_id(Reward, reward_id, "reward"), changes)


@blp.route("/rewards/<reward_id>", methods=["DELETE"])
@admin_required
@blp.response(200, RewardSchema)
def retire_reward(reward_id):
    """Rewards are retired, not deleted: past redemptions still point at them."""
    return service.retire_reward(by_public_id(Reward, reward_id, "reward"))


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
    return service.create_rule(data)


@blp.route("/earning-rules/<rule_id>", methods=["PATCH"])
@admin_required
@blp.arguments(EarningRuleSchema(partial=True))
@blp.response(200, EarningRuleSchema)
def patch_rule(changes, rule_id):
    return service.update_rule(by_public_id(EarningRule, rule_id, "earning_rule"), changes)


@blp.route("/earning-rules/<rule_id>", methods=["DELETE"])
@admin_required
@blp.response(204)
def delete_rule(rule_id):
    """Switches the rule off; purchases that earned by it keep their reference."""
    service.switch_off_rule(by_public_id(EarningRule, rule_id, "earning_rule"))
