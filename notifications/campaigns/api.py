"""The operator's side: composing campaigns, sending them, and reading their counts."""

from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth.guards import admin_required
from app.errors import ApiError
from app.extensions import db
from app.lookup import optional_ref
from app.models_base import utcnow
from app.offers.models import Offer
from app.program.service import get_program
from app.segments.models import Segment
from notifications import campaigns
from notifications.models import Campaign
from notifications.schemas import CampaignInSchema, CampaignSchema

blp = Blueprint(
    "admin_campaigns", __name__, url_prefix="/api/v1/admin/campaigns", description="Campaigns"
)


def _public(model: type, row_id: int | None) -> str | None:
    return db.session.scalar(select(model.public_id).where(model.id == row_id)) if row_id else None


def body(campaign: Campaign, counts: dict[str, int]) -> dict:
    return CampaignSchema().dump(
        {
            "id": campaign.public_id,
            "name": campaign.name,
            "title": campaign.title,
            "body": campaign.body,
            "segment_id": _public(Segment, campaign.segment_id),
            "offer_id": _public(Offer, campaign.offer_id),
            "deep_link": campaign.deep_link,
            "send_at": campaign.send_at,
            "status": campaign.status,
            "created_at": campaign.created_at,
            "sent_at": campaign.sent_at,
            "counts": counts,
        }
    )


def _one(campaign: Campaign) -> dict:
    return body(campaign, campaigns.counts([campaign.id])[campaign.id])


@blp.route("", methods=["POST"])
@admin_required
@blp.arguments(CampaignInSchema)
@blp.response(201, CampaignSchema)
def create(data):
    """Compose a campaign (a draft): texts by language, a segment, an optional offer."""
    now = utcnow()
    default = get_program().default_language
    if default not in data["title"] and "en" not in data["title"]:
        raise ApiError(
            422,
            "validation_error",
            f"Give the texts in the program's default language ({default}) as a fallback.",
            {"fields": {"title": [f"missing {default}"]}},
        )
    if data.get("send_at") is not None and data["send_at"] <= now:
        raise ApiError(
            422, "validation_error", "send_at is in the past.", {"fields": {"send_at": ["past"]}}
        )
    data["segment_id"] = optional_ref(Segment, data.get("segment_id"), "segment_id")
    data["offer_id"] = optional_ref(Offer, data.get("offer_id"), "offer_id")
    if data["offer_id"] is not None:
        campaigns.check_offer_live(db.session.get(Offer, data["offer_id"]), now)
    campaign = Campaign(**data, status="draft")
    db.session.add(campaign)
    db.session.commit()
    return jsonify(_one(campaign)), 201


@blp.route("", methods=["GET"])
@admin_required
@blp.response(200, CampaignSchema(many=True))
def list_campaigns():
    rows = list(db.session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(200)))
    counts = campaigns.counts([c.id for c in rows])
    return jsonify([body(c, counts[c.id]) for c in rows])


@blp.route("/<campaign_id>", methods=["GET"])
@admin_required
@blp.response(200, CampaignSchema)
def get(campaign_id):
    """The campaign and what became of its pushes so far."""
    return jsonify(_one(campaigns.get_campaign(campaign_id)))


@blp.route("/<campaign_id>/send", methods=["POST"])
@admin_required
@blp.response(202, CampaignSchema)
def send(campaign_id):
    """Send now, or at `send_at` when that is later; only to members who consented."""
    campaign = campaigns.request_send(campaigns.get_campaign(campaign_id))
    db.session.refresh(campaign)
    return jsonify(_one(campaign)), 202
