"""The member's own referral code and share link."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from app.extensions import db
from referrals.codes import service
from referrals.codes.schemas import MyReferralSchema

blp = Blueprint(
    "referral_code", __name__, url_prefix="/api/v1/me", description="Referrals: my code"
)


@blp.route("/referral", methods=["GET"])
@member_required
@blp.response(200, MyReferralSchema)
def my_referral():
    """The member's code (made on first ask), the link to share (`share_url`: a web link the
    app opens when installed; `deep_link`: the app's own), and what a friend's first purchase
    of at least `min_purchase` gives both sides, pending for `hold_days`."""
    found = service.my_referral(current_member())
    db.session.commit()
    return found
