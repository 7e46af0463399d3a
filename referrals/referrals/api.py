"""The member's friends."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from app.schemas import Augmented
from referrals.referrals import service
from referrals.referrals.schemas import FriendReferralSchema

blp = Blueprint(
    "my_referrals", __name__, url_prefix="/api/v1/me", description="Referrals: my friends"
)


@blp.route("/referrals", methods=["GET"])
@member_required
@blp.response(200, FriendReferralSchema(many=True))
def my_referrals():
    """The friends who joined with the member's code, newest first (at most 200): first name,
    status and the member's reward for each."""
    return [
        Augmented(referral, friend_name=name)
        for referral, name in service.referrals_of(current_member())
    ]
