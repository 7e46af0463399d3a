from flask import request
from flask_smorest import Blueprint

from app.auth.guards import store_actor, store_required
from app.extensions import db
from app.idempotency import require_key, run_once
from app.members.models import Member
from app.openapi import errors, idempotent, replayed
from app.purchases import service
from app.purchases.schemas import (
    PurchaseCreateSchema,
    PurchaseResultSchema,
    RefundCreateSchema,
    RefundSchema,
)
from app.purchases.till import record_once
from app.schemas import Augmented, to_minor

blp = Blueprint(
    "transactions", __name__, url_prefix="/api/v1/transactions", description="Purchases at stores"
)
# Made once: a schema instance is reusable, and making one copies all its fields.
_REFUND = RefundSchema()


@blp.route("", methods=["POST"])
@store_required
# An instance, not the class: webargs would make a new schema for every request.
@blp.arguments(PurchaseCreateSchema())
@idempotent
@errors(404, "member_not_found")
@errors(
    409,
    "duplicate_receipt",
    "membership_ended",
    "store_inactive",
    "offer_claim_invalid",
    "offer_already_redeemed",
    "offer_not_redeemable_here",
)
@errors(422, "invalid_card_number", "occurred_at_out_of_range", "currency_mismatch")
@blp.response(201, PurchaseResultSchema)
def record(data):
    """Record a purchase (staff token or the store's API key) and earn its points.

    Needs an `Idempotency-Key` header: a retry returns the first answer.
    """
    key = require_key(request.headers.get("Idempotency-Key"))
    actor = store_actor()
    entry = service.PurchaseInput(
        card_number=data["card_number"],
        amount_minor=to_minor(data["amount"]),
        currency=data["currency"],
        channel=data["channel"],
        receipt_id=data["receipt_id"],
        occurred_at=data["occurred_at"],
        offer_code=data["offer_code"],
    )
    body, status, _ = record_once(actor, entry, key, request.get_json(silent=True))
    return replayed(body, status)


@blp.route("/<purchase_id>/refunds", methods=["POST"])
@store_required
@blp.arguments(RefundCreateSchema())
@idempotent
@errors(404, "purchase_not_found")
@errors(409, "already_refunded", "store_inactive", "idempotency_key_reused")
@errors(422, "refund_exceeds_purchase")
@blp.response(201, RefundSchema)
def refund(data, purchase_id):
    """Refund all or part of a purchase; its points are reversed in proportion."""
    key = require_key(request.headers.get("Idempotency-Key"))
    actor = store_actor()
    purchase = service.get_purchase(purchase_id, actor.store)
    amount = to_minor(data["amount"]) if data["amount"] is not None else None

    def action():
        record = service.refund(purchase, amount)
        member = db.session.get(Member, purchase.member_id)
        return _REFUND.dump(Augmented(record, member=member)), 201

    body, status, _ = run_once(
        f"refund:{purchase.public_id}", key, request.get_json(silent=True), action
    )
    return replayed(body, status)
