"""The referral program's settings, for operators."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.auth.guards import admin_required
from app.extensions import db
from referrals import privacy
from referrals.program import service
from referrals.program.schemas import ReferralSettingsPatchSchema, ReferralSettingsSchema

blp = Blueprint(
    "referral_settings",
    __name__,
    url_prefix="/api/v1/admin",
    description="Referrals: the program's settings",
)


@blp.route("/referral-settings", methods=["GET"])
@admin_required
@blp.response(200, ReferralSettingsSchema)
def referral_settings():
    """Rewards per side, the minimum first purchase, the referrer's cap per period, the hold."""
    found = service.get_settings()
    db.session.commit()
    return found


@blp.route("/referral-settings", methods=["PATCH"])
@admin_required
@blp.arguments(ReferralSettingsPatchSchema)
@blp.response(200, ReferralSettingsSchema)
def patch_referral_settings(changes):
    """Change some settings; referrals already qualified keep the rewards they were given.
    Audited."""
    privacy.record_settings(service.get_settings())
    found = service.update_settings(changes)
    db.session.commit()
    return found
