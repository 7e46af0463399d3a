from flask import request
from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required, store_actor, store_required
from app.extensions import db
from app.idempotency import require_key, run_once
from app.members.models import Member
from app.openapi import errors, idempotent, replayed
from app.personalization import REWARD, rank
from app.rewards import service
from app.rewards.schemas import CatalogItemSchema, RedemptionSchema
from app.schemas import Augmented

blp = Blueprint("rewards", __name__, url_prefix="/api/v1", description="Rewards and redemptions")


@blp.route("/rewards", methods=["GET"])
@member_required
@blp.response(200, CatalogItemSchema(many=True))
def catalog():
    """The catalog, with what this member can afford and is eligible for; what matches the
    member's interests comes first, with `for_you`."""
    member = current_member()
    return [
        Augmented(
            reward,
            eligible=service.allowed_for(reward, member) and reward.stock_remaining != 0,
            affordable=member.points_available >= reward.cost_points,
            points_missing=max(0, reward.cost_points - member.points_available),
            for_you=for_you,
        )
        for reward, for_you in rank(REWARD, member, service.catalog(), lambda r: r.public_id)
    ]


@blp.route("/rewards/<reward_id>/redeem", methods=["POST"])
@member_required
@errors(403, "reward_not_for_tier", "not_a_member", "membership_ended")
@errors(404, "reward_not_found")
@idempotent
@errors(409, "insufficient_points", "out_of_stock", "reward_unavailable")
@blp.response(201, RedemptionSchema)
def redeem(reward_id):
    """Spend points on a reward; needs an `Idempotency-Key`. Returns the code for the till."""
    key = require_key(request.headers.get("Idempotency-Key"))
    member = current_member()
    reward = service.get_reward(reward_id)

    def action():
        redemption = service.redeem(member, reward)
        fresh = db.session.get(Member, member.id)
        return RedemptionSchema().dump(Augmented(redemption, balance=fresh)), 201

    body, status, _ = run_once(f"redeem:{member.public_id}", key, {"reward": reward_id}, action)
    return replayed(body, status)


@blp.route("/me/redemptions", methods=["GET"])
@member_required
@blp.response(200, RedemptionSchema(many=True))
def my_redemptions():
    return service.member_redemptions(current_member())


@blp.route("/redemptions/<code>/confirm", methods=["POST"])
@store_required
@errors(404, "redemption_not_found")
@errors(409, "redemption_already_used", "redemption_void", "store_inactive")
@blp.response(200, RedemptionSchema)
def confirm(code):
    """The till confirms a redemption code; a code works once."""
    return service.confirm(code, store_actor().store)
