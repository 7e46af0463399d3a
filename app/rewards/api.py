from flask import jsonify, request
from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required, store_actor, store_required
from app.extensions import db
from app.idempotency import require_key, run_once
from app.members.models import Member
from app.rewards import service
from app.rewards.models import Redemption, Reward
from app.rewards.schemas import CatalogItemSchema, RedemptionSchema

blp = Blueprint("rewards", __name__, url_prefix="/api/v1", description="Rewards and redemptions")


def _redemption_body(redemption: Redemption, reward: Reward, member: Member | None) -> dict:
    body = RedemptionSchema().dump(redemption)
    body["reward_id"] = reward.public_id
    if member is not None:
        body["balance"] = {"available": member.points_available, "pending": member.points_pending}
    return body


@blp.route("/rewards", methods=["GET"])
@member_required
@blp.response(200, CatalogItemSchema(many=True))
def catalog():
    """The catalog, with what this member can afford and is eligible for."""
    member = current_member()
    items = []
    for reward in service.catalog():
        item = CatalogItemSchema().dump(reward)
        item["eligible"] = service.allowed_for(reward, member) and reward.stock_remaining != 0
        item["affordable"] = member.points_available >= reward.cost_points
        item["points_missing"] = max(0, reward.cost_points - member.points_available)
        items.append(item)
    return jsonify(items)


@blp.route("/rewards/<reward_id>/redeem", methods=["POST"])
@member_required
@blp.response(201, RedemptionSchema)
def redeem(reward_id):
    """Spend points on a reward; needs an `Idempotency-Key`. Returns the code for the till."""
    key = require_key(request.headers.get("Idempotency-Key"))
    member = current_member()
    reward = service.get_reward(reward_id)

    def action():
        redemption = service.redeem(member, reward)
        fresh = db.session.get(Member, member.id)
        return _redemption_body(redemption, reward, fresh), 201

    body, status, _ = run_once(f"redeem:{member.public_id}", key, {"reward": reward_id}, action)
    return jsonify(body), status


@blp.route("/me/redemptions", methods=["GET"])
@member_required
@blp.response(200, RedemptionSchema(many=True))
def my_redemptions():
    member = current_member()
    rewards = {r.id: r for r in service.catalog(include_inactive=True)}
    return jsonify(
        [
            _redemption_body(r, rewards[r.reward_id], None)
            for r in service.member_redemptions(member)
        ]
    )


@blp.route("/redemptions/<code>/confirm", methods=["POST"])
@store_required
@blp.response(200, RedemptionSchema)
def confirm(code):
    """The till confirms a redemption code; a code works once."""
    redemption = service.confirm(code, store_actor().store)
    reward = db.session.get(Reward, redemption.reward_id)
    return jsonify(_redemption_body(redemption, reward, None))
