"""Campaigns: compose in each language with a preview per language, choose a segment (and a
holdout share when campaigns have one), send now or at a time, then watch the counts and the
lift. Through `notifications.campaigns.service`, as the API."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit
from app.errors import ApiError
from app.extensions import db
from app.models_base import utcnow
from app.offers.models import Offer
from app.program.service import get_program
from app.segments import service as segments
from app.segments.models import Segment
from console.campaigns.forms import CampaignForm
from console.forms import checked, given, options, refused
from console.lift import lift_of
from console.offers.views import segment_choices
from console.pages import page
from console.texts import error_names, localized
from console.web import requires
from notifications.campaigns import service
from notifications.campaigns.schemas import CampaignInSchema, CampaignSchema
from notifications.texts import TemplateError, render

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
requires(bp, "admin")
NAV = ((_l("Campaigns"), "index", "admin"),)
# Whom the preview greets: {name} filled as a member's name would be.
PREVIEW_NAME = "Aino"


def has_holdout() -> bool:
    return "holdout_percent" in CampaignInSchema().fields


def _form():
    form = CampaignForm()
    form.segment_id.choices = options(segment_choices())
    live = db.session.scalars(
        select(Offer).where(Offer.active.is_(True), Offer.ends_at > utcnow()).order_by(Offer.id)
    )
    form.offer_id.choices = options(
        [("", gettext("None"))]
        + [(o.public_id, o.title.get("en") or next(iter(o.title.values()), "")) for o in live]
    )
    return form


def _data(form) -> dict:
    data = given(form, ("name", "deep_link", "send_at"))
    data["title"] = localized(form, "title")
    data["body"] = localized(form, "body")
    data["segment_id"] = form.segment_id.data or None
    data["offer_id"] = form.offer_id.data or None
    if has_holdout():
        data["holdout_percent"] = form.holdout_percent.data or 0
    return data


def _previews(form) -> list[dict]:
    """Each language's push as a member would see it."""
    out = []
    titles, bodies = localized(form, "title"), localized(form, "body")
    for code in titles.keys() | bodies.keys():
        item = {"language": code}
        try:
            item["title"] = render(titles.get(code, ""), {"name": PREVIEW_NAME})
            item["body"] = render(bodies.get(code, ""), {"name": PREVIEW_NAME})
        except (TemplateError, KeyError) as error:
            item["error"] = str(error)
        out.append(item)
    return sorted(out, key=lambda item: item["language"])


def _audience(form) -> int | None:
    public_id = form.segment_id.data
    segment = db.session.scalar(select(Segment).where(Segment.public_id == public_id))
    if public_id and segment is None:
        return None
    return segments.count(segment) if segment is not None else segments.count(Segment(rules={}))


@bp.route("/")
def index():
    latest = service.latest_campaigns()
    counts = service.counts([c.id for c in latest])
    return page(
        "console/campaigns/index.html",
        campaigns=[(c, counts[c.id]) for c in latest],
        title=_l("Campaigns"),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _form()
    status = 200
    if request.method == "POST":
        status = 422
        names = error_names("title", "body")
        if form.validate_on_submit():
            data = checked(form, CampaignInSchema(), _data(form), names)
            if data is not None:
                try:
                    campaign = service.create_campaign(data)
                except ApiError as error:
                    db.session.rollback()
                    refused(form, error, names)
                else:
                    flash(gettext("Campaign saved as a draft: check it, then send it."), "ok")
                    return redirect(url_for(".detail", campaign_id=campaign.public_id))
    return page(
        "console/campaigns/new.html",
        status=status,
        form=form,
        previews=_previews(form),
        audience=_audience(form),
        holdout=has_holdout(),
        default_language=get_program().default_language,
        title=_l("New campaign"),
    )


@bp.route("/preview", methods=["POST"])
def preview():
    """The push in each language, and the segment's size, as the form stands."""
    form = _form()
    return page(
        "console/campaigns/_preview.html",
        previews=_previews(form),
        audience=_audience(form),
    )


@bp.route("/<campaign_id>")
def detail(campaign_id: str):
    campaign = service.get_campaign(campaign_id)
    segment = db.session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    offer = db.session.get(Offer, campaign.offer_id) if campaign.offer_id else None
    return page(
        "console/campaigns/detail.html",
        "console/campaigns/_counts.html",
        campaign=campaign,
        counts=service.counts([campaign.id])[campaign.id],
        segment=segment,
        offer=offer,
        lift=lift_of("campaign", campaign.public_id),
        holdout=has_holdout(),
        previews=[
            {"language": code, "title": campaign.title[code], "body": campaign.body.get(code, "")}
            for code in sorted(campaign.title)
        ],
        title=campaign.name,
    )


@bp.route("/<campaign_id>/send", methods=["POST"])
def send(campaign_id: str):
    campaign = service.get_campaign(campaign_id)
    audit.record("campaign.send", campaign, schema=CampaignSchema)
    try:
        service.request_send(campaign)
    except ApiError as error:
        db.session.rollback()
        flash(gettext(error.message), "bad")
    else:
        flash(
            gettext("Scheduled.") if campaign.status == "scheduled" else gettext("Sending."), "ok"
        )
    return redirect(url_for(".detail", campaign_id=campaign.public_id))
