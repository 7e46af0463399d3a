"""The operator's side: composing campaigns, sending them, and reading their counts."""

from __future__ import annotations

from flask_smorest import Blueprint

from app import audit
from app.auth.guards import admin_required
from app.openapi import errors
from app.schemas import Augmented
from notifications.campaigns import service
from notifications.campaigns.models import Campaign
from notifications.campaigns.schemas import CampaignInSchema, CampaignSchema

blp = Blueprint(
    "admin_campaigns", __name__, url_prefix="/api/v1/admin/campaigns", description="Campaigns"
)


def _with_counts(campaigns: list[Campaign]) -> list[Augmented]:
    counts = service.counts([c.id for c in campaigns])
    return [Augmented(c, counts=counts[c.id]) for c in campaigns]


@blp.route("", methods=["POST"])
@admin_required
@blp.arguments(CampaignInSchema)
@errors(422, "offer_ended")
@blp.response(201, CampaignSchema)
def create(data):
    """Compose a campaign (a draft): texts by language, a segment, an optional offer."""
    return _with_counts([service.create_campaign(data)])[0]


@blp.route("", methods=["GET"])
@admin_required
@blp.response(200, CampaignSchema(many=True))
def list_campaigns():
    """The latest campaigns, newest first, with their counts."""
    return _with_counts(service.latest_campaigns())


@blp.route("/<campaign_id>", methods=["GET"])
@admin_required
@errors(404, "campaign_not_found")
@blp.response(200, CampaignSchema)
def get(campaign_id):
    """The campaign and what became of its pushes so far."""
    return _with_counts([service.get_campaign(campaign_id)])[0]


@blp.route("/<campaign_id>/send", methods=["POST"])
@admin_required
@errors(404, "campaign_not_found")
@errors(409, "campaign_already_sent")
@errors(422, "offer_ended")
@blp.response(202, CampaignSchema)
def send(campaign_id):
    """Send now, or at `send_at` when that is later; only to members who consented."""
    audit.record("campaign.send", service.get_campaign(campaign_id), schema=CampaignSchema)
    return _with_counts([service.request_send(service.get_campaign(campaign_id))])[0]
