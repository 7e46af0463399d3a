"""The operators' side of offers: creating and changing one, each with its audit entry. The
admin endpoints and the console both call these."""

from __future__ import annotations

from app import audit
from app.errors import ApiError
from app.extensions import db
from app.lookup import apply, optional_ref
from app.offers import service
from app.offers.models import Offer
from app.offers.schemas import OfferAdminSchema
from app.segments.models import Segment


def create_offer(data: dict) -> Offer:
    """`data` as `OfferAdminSchema` loads it."""
    values = dict(data)
    values["segment_id"] = optional_ref(Segment, values.get("segment_id"), "segment_id")
    offer = Offer(**values)
    service.check_offer(offer)
    db.session.add(offer)
    audit.record("offer.create", offer, schema=OfferAdminSchema, created=True)
    db.session.commit()
    return offer


def update_offer(offer: Offer, changes: dict) -> Offer:
    """`changes` as `OfferAdminSchema(partial=True)` loads them."""
    audit.record("offer.update", offer, schema=OfferAdminSchema)
    changes = dict(changes)
    if "segment_id" in changes:
        changes["segment_id"] = optional_ref(Segment, changes["segment_id"], "segment_id")
    apply(offer, changes)
    try:
        service.check_offer(offer)
    except ApiError:
        db.session.rollback()
        raise
    db.session.commit()
    return offer
