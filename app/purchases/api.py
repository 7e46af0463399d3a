from flask import jsonify, request
from flask_smorest import Blueprint

from app.auth.guards import store_actor, store_required
from app.extensions import db
from app.idempotency import require_key, run_once
from app.members.models import Member
from app.purchases import service
from app.purchases.schemas import (
    PurchaseCreateSchema,
    PurchaseResultSchema,
    RefundCreateSchema,
    RefundSchema,
)
from app.schemas import from_minor, to_minor

blp = Blueprint(
    "transactions", __name__, url_prefix="/api/v1/transactions", description="Purchases at stores"
)


def _balance(member) -> dict:
    return {"available": member.points_available, "pending": member.points_pending}


def _purchase_body(recorded: service.RecordedPurchase) -> dict:
    p, earned, applied = recorded.purchase, recorded.earned, recorded.offer
    return PurchaseResultSchema().dump(
        {
            "id": p.public_id,
            "member_id": recorded.member.public_id,
            "store_id": store_actor().store.public_id,
            "amount": from_minor(p.amount_minor),
            "currency": p.currency,
            "channel": p.channel,
            "receipt_id": p.receipt_id,
            "points_earned": p.points_earned,
            "base_points": earned.base,
            "bonus_points": earned.bonus,
            "bonus_rules": earned.rules,
            "points_status": "none"
            if not p.points_earned
            else ("pending" if recorded.available_at else "available"),
            "available_at": recorded.available_at,
            "no_points_reason": p.no_points_reason,
            "offer": {
                "id": applied.offer.public_id,
                "claim_id": applied.claim.public_id,
                "benefit": applied.offer.benefit,
                "discount_percent": applied.offer.discount_percent,
                "points": applied.extra_points,
            }
            if applied
            else None,
            "balance": _balance(recorded.member),
        }
    )


@blp.route("", methods=["POST"])
@store_required
@blp.arguments(PurchaseCreateSchema)
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

    def action():
        return _purchase_body(service.record_purchase(actor.store, entry, actor.label)), 201

    body, status, _ = run_once(
        f"purchase:{actor.store.public_id}", key, request.get_json(silent=True), action
    )
    return jsonify(body), status


@blp.route("/<purchase_id>/refunds", methods=["POST"])
@store_required
@blp.arguments(RefundCreateSchema)
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
        return RefundSchema().dump(
            {
                "id": record.public_id,
                "purchase_id": purchase.public_id,
                "amount": from_minor(record.amount_minor),
                "points_reversed": record.points_reversed,
                "points_uncollected": record.points_uncollected,
                "balance": _balance(member),
            }
        ), 201

    body, status, _ = run_once(
        f"refund:{purchase.public_id}", key, request.get_json(silent=True), action
    )
    return jsonify(body), status
