from flask_smorest import Blueprint

from app.admin import service
from app.admin.schemas import ProgramSchema, TierSchema
from app.auth.guards import admin_required
from app.ledger.checks import run_checks
from app.ledger.schemas import LedgerCheckSchema
from app.openapi import errors
from app.program.service import get_program
from app.tiers.service import all_tiers

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
    return service.change_program(changes)


@blp.route("/tiers", methods=["GET"])
@admin_required
@blp.response(200, TierSchema(many=True))
def tiers():
    return all_tiers()


@blp.route("/tiers", methods=["POST"])
@admin_required
@blp.arguments(TierSchema)
@errors(409, "tier_conflict")
@errors(422, "tier_order_invalid")
@blp.response(201, TierSchema)
def create_tier(data):
    return service.create_tier(data)


@blp.route("/tiers/<code>", methods=["PATCH"])
@admin_required
@blp.arguments(TierSchema(partial=True))
@errors(409, "tier_conflict")
@errors(422, "tier_order_invalid")
@blp.response(200, TierSchema)
def patch_tier(changes, code):
    return service.update_tier(service.tier_by_code(code), changes)


@blp.route("/ledger/check", methods=["GET"])
@admin_required
@blp.response(200, LedgerCheckSchema)
def ledger_check():
    """Every rule of the ledger that the tables can prove: balances against entries and lots,
    refunds within their purchase, redemptions within stock, claims within an offer's cap, one
    entry per award key. An empty `problems` is healthy."""
    return run_checks()
