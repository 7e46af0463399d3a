"""Recording purchases and refunds, and what they earn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import events
from app.errors import ApiError, not_found
from app.extensions import db
from app.ids import new_id
from app.ledger import service as ledger
from app.members import cardnumber
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.offers.service import AppliedOffer, redeem_at_purchase
from app.program.service import program_settings
from app.purchases import earning
from app.purchases.models import Purchase, Refund
from app.rows import insert_row
from app.stores.models import Store
from app.stores.service import ensure_store_active
from app.tiers.service import tier_of, upgrade_if_qualified

MAX_BACKDATE = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class PurchaseInput:
    card_number: str
    amount_minor: int
    currency: str
    channel: str
    receipt_id: str
    occurred_at: datetime | None = None
    offer_code: str | None = None


@dataclass(frozen=True)
class RecordedPurchase:
    purchase: Purchase
    member: Member
    earned: earning.Earning
    available_at: datetime | None
    offer: AppliedOffer | None = None


def program_live_in(store: Store) -> bool:
    program = program_settings()
    return program.rollout == "all" or store.pilot or store.region.pilot


def _lock_member(raw_card: str) -> tuple[Member | None, ApiError | None]:
    """The member's lock, taken first: its statement also brings the settings' version and
    the features' member facts, so that what follows needs no query until the writes."""
    try:
        number = cardnumber.normalize(raw_card)
    except cardnumber.InvalidCardNumber as exc:
        return None, ApiError(422, "invalid_card_number", str(exc).capitalize() + ".")
    member = ledger.lock_member_by_card(number)
    return member, None if member is not None else not_found("member")


def record_purchase(store: Store, data: PurchaseInput, recorded_by: str) -> RecordedPurchase:
    """Book a purchase and its points. A plain one (no offer, one earning entry) makes eight
    statements in all with the idempotency key and the API key: the settings come from the
    settings cache, the tier check from the member's running total (app.tiers.service), and
    the feature packages decide from the member facts read with the lock."""
    member, card_error = _lock_member(data.card_number)
    program = program_settings()
    ensure_store_active(store)
    if data.currency.upper() != program.currency:
        raise ApiError(
            422,
            "currency_mismatch",
            f"The program counts purchases in {program.currency}.",
            {"expected": program.currency},
        )
    now = utcnow()
    occurred = data.occurred_at or now
    if occurred > now + CLOCK_SKEW or occurred < now - MAX_BACKDATE:
        raise ApiError(422, "occurred_at_out_of_range", "A purchase must be from the last 30 days.")
    if card_error is not None:
        raise card_error
    ensure_active(member)

    result = earning.Earning()
    no_points_reason = None
    if not program_live_in(store):
        no_points_reason = "program_not_live_in_store"
    else:
        rules = earning.matching_rules(
            store.id, store.region_id, data.channel, data.amount_minor, occurred
        )
        result = earning.compute(
            data.amount_minor, program.base_points_per_unit, tier_of(member).multiplier, rules
        )
    # An offer redeemed with the purchase is what it earned, even when its points are none.
    if result.total == 0 and no_points_reason is None and not data.offer_code:
        no_points_reason = "amount_too_small"
    try:
        purchase = insert_row(
            Purchase,
            {
                "public_id": new_id("pur"),
                "member_id": member.id,
                "store_id": store.id,
                "channel": data.channel,
                "receipt_id": data.receipt_id,
                "amount_minor": data.amount_minor,
                "currency": program.currency,
                "occurred_at": occurred,
                # Known before the insert unless an offer adds to it: no update afterwards.
                "points_earned": result.total,
                "points_reversed": 0,
                "refunded_minor": 0,
                "no_points_reason": no_points_reason,
                "recorded_by": recorded_by,
                "created_at": now,
            },
        )
    except IntegrityError:
        # The store's receipt id is unique: the transaction is lost, the caller rolls back.
        raise ApiError(409, "duplicate_receipt", "This receipt was already recorded.") from None

    applied = None
    if data.offer_code:
        if purchase.no_points_reason is not None:
            raise ApiError(
                409, "offer_not_redeemable_here", "Offers work where the program is live."
            )
        applied = redeem_at_purchase(data.offer_code, member, result.plain, purchase.id)
    pending_until = now + timedelta(days=program.return_window_days)
    offer_points = applied.extra_points if applied else 0
    for kind, points, reason in (
        ("earn", result.base, "Purchase"),
        ("bonus", result.bonus, "Purchase bonus"),
        ("bonus", offer_points, "Offer bonus"),
    ):
        if points:
            ledger.credit(
                member,
                points,
                kind=kind,
                reason=reason,
                reference_type="purchase",
                reference_id=purchase.public_id,
                pending_until=pending_until,
                purchase_id=purchase.id,
                qualifying=True,
                now=now,
            )
    if offer_points:
        purchase.points_earned = result.total + offer_points
    if purchase.points_earned:
        upgrade_if_qualified(member)
    events.publish(
        db.session,
        events.PURCHASE_RECORDED,
        {
            "member_id": member.id,
            "member_public_id": member.public_id,
            "purchase_id": purchase.public_id,
            "store_id": store.public_id,
            "region_id": store.region.public_id,
            "channel": purchase.channel,
            "amount_minor": purchase.amount_minor,
            "currency": purchase.currency,
            "points": purchase.points_earned,
            # Whether it earned (a purchase that earned nothing plays no game).
            "no_points_reason": purchase.no_points_reason,
            "occurred_at": occurred.isoformat(),
        },
    )
    return RecordedPurchase(
        purchase,
        member,
        result,
        pending_until if purchase.points_earned and pending_until > now else None,
        applied,
    )


def get_purchase(public_id: str, store: Store | None) -> Purchase:
    purchase = db.session.scalar(select(Purchase).where(Purchase.public_id == public_id))
    # A store sees its own purchases only; saying "not found" hides the others.
    if purchase is None or (store is not None and purchase.store_id != store.id):
        raise not_found("purchase")
    return purchase


def refund(purchase: Purchase, amount_minor: int | None) -> Refund:
    """Refund all (None) or part of what is left of a purchase and reverse its points in
    proportion; concurrent refunds of one purchase take turns and see each other's."""
    # The member first, then the purchase: the lock order of every ledger write.
    ledger.lock_member(purchase.member_id)
    # populate_existing: the copy in the session was read before the lock and may be stale;
    # what is left to refund must be read under the lock.
    purchase = db.session.scalar(
        select(Purchase)
        .where(Purchase.id == purchase.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    refundable = purchase.amount_minor - purchase.refunded_minor
    amount = refundable if amount_minor is None else amount_minor
    if refundable == 0:
        raise ApiError(409, "already_refunded", "This purchase is fully refunded.")
    if amount <= 0 or amount > refundable:
        raise ApiError(
            422,
            "refund_exceeds_purchase",
            "A refund must be more than zero and at most what is left of the purchase.",
            {"refundable_minor": refundable},
        )
    purchase.refunded_minor += amount
    # Reverse in proportion, computed on the running total so partial refunds add up exactly.
    target = purchase.points_earned * purchase.refunded_minor // purchase.amount_minor
    to_reverse = target - purchase.points_reversed
    reversed_, uncollected = 0, 0
    if to_reverse > 0:
        reversed_, uncollected = ledger.reverse_purchase_points(
            purchase.member_id, purchase.id, purchase.public_id, to_reverse, "Refund"
        )
    purchase.points_reversed = target
    record = Refund(
        purchase_id=purchase.id,
        amount_minor=amount,
        points_reversed=reversed_,
        points_uncollected=uncollected,
    )
    db.session.add(record)
    db.session.flush()
    events.publish(
        db.session,
        events.PURCHASE_REFUNDED,
        {
            "member_id": purchase.member_id,
            "purchase_id": purchase.public_id,
            "refund_id": record.public_id,
            "amount_minor": amount,
            "fully_refunded": purchase.refunded_minor == purchase.amount_minor,
            "points_reversed": reversed_,
        },
    )
    return record
