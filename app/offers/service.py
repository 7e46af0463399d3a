"""Time-limited offers: who sees them, claiming under a total cap, redeeming at the till."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func, inspect, or_, select, update

from app.codes import normalize, till_code
from app.errors import ApiError, not_found
from app.extensions import db
from app.holdout import rules as holdout_rules
from app.holdout import service as holdout
from app.ledger import service as ledger
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.offers.models import Offer, OfferClaim
from app.segments.models import Segment
from app.segments.rules import compile_rules
from app.segments.service import members_query

_BENEFIT_NEEDS = {
    "bonus_points": "points",
    "gift_points": "points",
    "multiplier": "multiplier",
    "discount": "discount_percent",
}

holdout.register_subject(holdout_rules.OFFER, Offer)


def check_offer(offer: Offer) -> None:
    """The whole offer, as it will be saved, must make sense: checked on create and on change."""
    problems: dict[str, list[str]] = {}
    needs = _BENEFIT_NEEDS[offer.benefit]
    if getattr(offer, needs) is None:
        problems[needs] = [f"A {offer.benefit} offer needs `{needs}`."]
    if offer.ends_at <= offer.starts_at:
        problems["ends_at"] = ["Must be after starts_at."]
    if offer.total_cap is not None and offer.total_cap < (offer.claimed_count or 0):
        problems["total_cap"] = [f"{offer.claimed_count} claims exist already."]
    if offer.holdout_recorded_at is not None and inspect(offer).attrs.holdout_percent.history[2]:
        # The groups are recorded: another share would hide the offer from treated members.
        problems["holdout_percent"] = ["Fixed once the offer has started."]
    if problems:
        raise ApiError(422, "validation_error", "The offer is not valid.", {"fields": problems})


def get_offer(public_id: str) -> Offer:
    offer = db.session.scalar(select(Offer).where(Offer.public_id == public_id))
    if offer is None:
        raise not_found("offer")
    return offer


def is_eligible(offer: Offer, member: Member) -> bool:
    if offer.segment_id is None:
        return True
    segment = db.session.get(Segment, offer.segment_id)
    stmt = select(Member.id).where(Member.id == member.id, compile_rules(segment.rules))
    return db.session.scalar(stmt) is not None


def held_out(offer: Offer, member_id: int) -> bool:
    """Whether the member is in the offer's holdout group: the offer is not for them."""
    return holdout.is_held_out(holdout_rules.OFFER, offer.id, member_id, offer.holdout_percent or 0)


def live_offers(member: Member, now: datetime | None = None) -> list[tuple[Offer, int]]:
    """The member's live offers and how many times the member has claimed each."""
    now = now or utcnow()
    offers = list(
        db.session.scalars(
            select(Offer)
            .where(Offer.active, Offer.starts_at <= now, Offer.ends_at > now)
            .order_by(Offer.ends_at)
        )
    )
    # One query per distinct segment, not per offer.
    in_segment: dict[int, bool] = {}
    for offer in offers:
        if offer.segment_id is not None and offer.segment_id not in in_segment:
            in_segment[offer.segment_id] = is_eligible(offer, member)
    offers = [
        o
        for o in offers
        if (o.segment_id is None or in_segment[o.segment_id]) and not held_out(o, member.id)
    ]
    claimed = dict(
        db.session.execute(
            select(OfferClaim.offer_id, func.count())
            .where(OfferClaim.member_id == member.id)
            .group_by(OfferClaim.offer_id)
        ).all()
    )
    return [(o, claimed.get(o.id, 0)) for o in offers]


def _check_window(offer: Offer, now: datetime) -> None:
    if not offer.active or offer.ends_at <= now:
        raise ApiError(409, "offer_expired", "This offer has ended.")
    if offer.starts_at > now:
        raise ApiError(409, "offer_not_started", "This offer has not started yet.")


def claim(offer: Offer, member: Member) -> OfferClaim:
    now = utcnow()
    ensure_active(member)
    _check_window(offer, now)
    if not is_eligible(offer, member) or held_out(offer, member.id):
        raise ApiError(403, "offer_not_eligible", "This offer is not for you.")
    ledger.lock_member(member.id)  # one claim of a member at a time: the limit holds
    mine = db.session.scalar(
        select(func.count())
        .select_from(OfferClaim)
        .where(OfferClaim.offer_id == offer.id, OfferClaim.member_id == member.id)
    )
    if mine >= offer.per_member_limit:
        raise ApiError(409, "offer_limit_reached", "You have claimed this offer already.")
    taken = db.session.execute(
        update(Offer)
        .where(
            Offer.id == offer.id,
            or_(Offer.total_cap.is_(None), Offer.claimed_count < Offer.total_cap),
        )
        .values(claimed_count=Offer.claimed_count + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ApiError(409, "offer_sold_out", "This offer has been fully claimed.")
    record = OfferClaim(offer_id=offer.id, member_id=member.id, code=till_code())
    db.session.add(record)
    db.session.flush()
    if offer.benefit == "gift_points":
        ledger.award_points(
            member.id,
            offer.points or 0,
            idempotency_key=f"offer-claim:{record.public_id}",
            reason="Offer gift",
            reference_type="offer",
            reference_id=offer.public_id,
        )
        record.status = "redeemed"
        record.redeemed_at = now
    return record


@dataclass(frozen=True)
class AppliedOffer:
    claim: OfferClaim
    offer: Offer
    extra_points: int


def redeem_at_purchase(
    code: str, member: Member, plain_base: Decimal, purchase_id: int
) -> AppliedOffer:
    """Mark the claim redeemed (once) and say what it adds to the purchase's points."""
    now = utcnow()
    record = db.session.scalar(select(OfferClaim).where(OfferClaim.code == normalize(code)))
    if record is None or record.member_id != member.id:
        raise ApiError(409, "offer_claim_invalid", "This offer code is not this member's.")
    offer = db.session.get(Offer, record.offer_id)
    _check_window(offer, now)
    used = db.session.execute(
        update(OfferClaim)
        .where(OfferClaim.id == record.id, OfferClaim.status == "claimed")
        .values(status="redeemed", redeemed_at=now, purchase_id=purchase_id)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise ApiError(409, "offer_already_redeemed", "This offer code was already used.")
    extra = 0
    if offer.benefit == "bonus_points":
        extra = offer.points or 0
    elif offer.benefit == "multiplier" and offer.multiplier:
        extra = int((plain_base * (offer.multiplier - 1)).to_integral_value(ROUND_FLOOR))
    return AppliedOffer(record, offer, max(0, extra))


def expire_claims(now: datetime | None = None) -> int:
    """Claims of offers that have ended can no longer be redeemed."""
    now = now or utcnow()
    ended = select(Offer.id).where(Offer.ends_at <= now)
    result = db.session.execute(
        update(OfferClaim)
        .where(OfferClaim.status == "claimed", OfferClaim.offer_id.in_(ended))
        .values(status="expired")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


def void_open_claims(member_id: int) -> int:
    """Claims not yet redeemed stop working (an ended membership): status "void"; no commit.
    They still count toward the offer's caps, as claims that were made."""
    result = db.session.execute(
        update(OfferClaim)
        .where(OfferClaim.member_id == member_id, OfferClaim.status == "claimed")
        .values(status="void")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def record_holdouts(now: datetime | None = None) -> int:
    """Record the holdout groups of every offer with a holdout that has started: its audience
    as it is at the start (the segment's members, or every member), each offer in its own
    transaction. Returns how many offers were recorded."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(Offer).where(
                Offer.holdout_percent > 0,
                Offer.holdout_recorded_at.is_(None),
                Offer.starts_at <= now,
            )
        )
    )
    for offer in due:
        segment = db.session.get(Segment, offer.segment_id) if offer.segment_id else None
        audience = members_query(segment).with_only_columns(Member.id).order_by(Member.id)
        result = db.session.execute(audience.execution_options(yield_per=5000))
        for chunk in result.partitions():
            holdout.record(
                holdout_rules.OFFER, offer.id, offer.holdout_percent, [r[0] for r in chunk]
            )
        offer.holdout_recorded_at = now
        db.session.commit()
    return len(due)
