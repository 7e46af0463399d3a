from flask import request
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth.guards import admin_required, current_member, member_required
from app.extensions import db
from app.i18n import pick
from app.idempotency import require_key, run_once
from app.models_base import utcnow
from app.offers import admin, service
from app.offers.models import Offer, OfferClaim
from app.offers.schemas import ClaimSchema, MemberOfferSchema, OfferAdminSchema
from app.openapi import errors, idempotent, replayed
from app.personalization import OFFER, rank
from app.program.service import get_program
from app.schemas import Augmented

blp = Blueprint("offers", __name__, url_prefix="/api/v1", description="Time-limited offers")


@blp.route("/offers", methods=["GET"])
@member_required
@blp.response(200, MemberOfferSchema(many=True))
def live():
    """The member's live offers, in the member's language, with the time left; what matches
    the member's interests comes first, with `for_you`."""
    member = current_member()
    default = get_program().default_language
    now = utcnow()
    offers = service.live_offers(member, now)
    return [
        Augmented(
            o,
            title=pick(o.title, member.language, default),
            body=pick(o.body, member.language, default),
            seconds_left=int((o.ends_at - now).total_seconds()),
            claims_left=max(0, o.per_member_limit - claimed),
            for_you=for_you,
        )
        for (o, claimed), for_you in rank(OFFER, member, offers, lambda pair: pair[0].public_id)
    ]


@blp.route("/offers/<offer_id>/claim", methods=["POST"])
@member_required
@idempotent
@errors(403, "offer_not_eligible")
@errors(404, "offer_not_found")
@errors(
    409,
    "offer_expired",
    "offer_not_started",
    "offer_limit_reached",
    "offer_sold_out",
)
@blp.response(201, ClaimSchema)
def claim(offer_id):
    """Claim an offer (needs an `Idempotency-Key`); the code is shown at the till."""
    key = require_key(request.headers.get("Idempotency-Key"))
    member = current_member()
    offer = service.get_offer(offer_id)

    def action():
        return ClaimSchema().dump(Augmented(service.claim(offer, member), offer=offer)), 201

    body, status, _ = run_once(f"claim:{member.public_id}", key, {"offer": offer_id}, action)
    return replayed(body, status)


@blp.route("/me/offer-claims", methods=["GET"])
@member_required
@blp.response(200, ClaimSchema(many=True))
def my_claims():
    member = current_member()
    rows = db.session.execute(
        select(OfferClaim, Offer)
        .join(Offer, Offer.id == OfferClaim.offer_id)
        .where(OfferClaim.member_id == member.id)
        .order_by(OfferClaim.id.desc())
        .limit(100)
    ).all()
    return [Augmented(claim, offer=offer) for claim, offer in rows]


@blp.route("/admin/offers", methods=["GET"])
@admin_required
@blp.response(200, OfferAdminSchema(many=True))
def admin_offers():
    return list(db.session.scalars(select(Offer).order_by(Offer.id)))


@blp.route("/admin/offers", methods=["POST"])
@admin_required
@blp.arguments(OfferAdminSchema)
@blp.response(201, OfferAdminSchema)
def create_offer(data):
    return admin.create_offer(data)


@blp.route("/admin/offers/<offer_id>", methods=["PATCH"])
@admin_required
@blp.arguments(OfferAdminSchema(partial=True))
@errors(404, "offer_not_found")
@blp.response(200, OfferAdminSchema)
def patch_offer(changes, offer_id):
    return admin.update_offer(service.get_offer(offer_id), changes)
