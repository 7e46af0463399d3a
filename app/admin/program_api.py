from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from app import audit
from app.admin.schemas import ProgramSchema, TierSchema
from app.auth.guards import admin_required
from app.errors import ApiError, not_found
from app.extensions import db
from app.ledger.checks import run_checks
from app.ledger.schemas import LedgerCheckSchema
from app.lookup import apply
from app.program.service import get_program, update_program
from app.tiers.models import Tier
from app.tiers.service import all_tiers, forget_cached_tiers

blp = Blueprint(
    "admin_program", __name__, url_prefix="/api/v1/admin", description="Program and tiers"
)


@blp.route("/program", methods=["GET"])
@admin_required
@blp.response(200, ProgramSchema)
def program():
    return get_program()


@blp.route("/program", methods=["PATCH"])
@admin_required
@blp.arguments(ProgramSchema)
@blp.response(200, ProgramSchema)
def patch_program(changes):
    audit.record("program.update", get_program(), schema=ProgramSchema)
    return update_program(changes)


@blp.route("/tiers", methods=["GET"])
@admin_required
@blp.response(200, TierSchema(many=True))
def tiers():
    return all_tiers()


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


@blp.route("/tiers", methods=["POST"])
@admin_required
@blp.arguments(TierSchema)
@blp.response(201, TierSchema)
def create_tier(data):
    tier = Tier(**data)
    db.session.add(tier)
    audit.record("tier.create", tier, schema=TierSchema, created=True)
    return _save_tier(tier)


@blp.route("/tiers/<code>", methods=["PATCH"])
@admin_required
@blp.arguments(TierSchema(partial=True))
@blp.response(200, TierSchema)
def patch_tier(changes, code):
    tier = next((t for t in all_tiers() if t.code == code), None)
    if tier is None:
        raise not_found("tier")
    audit.record("tier.update", tier, schema=TierSchema)
    apply(tier, changes)
    return _save_tier(tier)


@blp.route("/ledger/check", methods=["GET"])
@admin_required
@blp.response(200, LedgerCheckSchema)
def ledger_check():
    """Every rule of the ledger that the tables can prove: balances against entries and lots,
    refunds within their purchase, redemptions within stock, claims within an offer's cap, one
    entry per award key. An empty `problems` is healthy."""
    return run_checks()
