"""Offers: their window, audience (a segment, a holdout share when the offers have one),
benefit and caps, through `app.offers.admin` as the API's."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.errors import ApiError
from app.extensions import db
from app.models_base import utcnow
from app.offers import admin, service
from app.offers.models import Offer
from app.offers.schemas import OfferAdminSchema
from app.segments.models import Segment
from console.forms import checked, given, local, options, refused
from console.offers.forms import BENEFIT_LABELS, OfferForm
from console.pages import page
from console.texts import error_names, fill, localized
from console.web import requires

bp = Blueprint("offers", __name__, url_prefix="/offers")
requires(bp, "admin")
NAV = ((_l("Offers"), "index", "admin"),)
FIELDS = (
    "starts_at",
    "ends_at",
    "benefit",
    "points",
    "multiplier",
    "discount_percent",
    "per_member_limit",
    "total_cap",
)


def has_holdout() -> bool:
    """Whether the offers have a holdout share (the analytics work adds it to the schema)."""
    return "holdout_percent" in OfferAdminSchema().fields


def segment_choices() -> list[tuple[str, str]]:
    segments = db.session.scalars(select(Segment).order_by(Segment.name))
    return [("", gettext("Every member"))] + [(s.public_id, s.name) for s in segments]


def _form(offer: Offer | None = None, formdata: bool = True):
    if formdata:
        form = OfferForm()
    else:
        form = (
            OfferForm(formdata=None, obj=offer) if offer is not None else OfferForm(formdata=None)
        )
        if offer is not None:
            fill(form, "title", offer.title)
            fill(form, "body", offer.body)
            form.starts_at.data = local(offer.starts_at)
            form.ends_at.data = local(offer.ends_at)
            form.segment_id.data = (
                db.session.get(Segment, offer.segment_id).public_id if offer.segment_id else ""
            )
            form.multiplier.data = str(offer.multiplier) if offer.multiplier else ""
    form.segment_id.choices = options(segment_choices())
    return form


def _data(form) -> dict:
    data = given(form, FIELDS)
    data["title"] = localized(form, "title")
    data["body"] = localized(form, "body")
    data["segment_id"] = form.segment_id.data or None
    data["active"] = form.active.data
    if has_holdout():
        data["holdout_percent"] = form.holdout_percent.data or 0
    return data


@bp.route("/")
def index():
    offers = list(db.session.scalars(select(Offer).order_by(Offer.id.desc())))
    return page(
        "console/offers/index.html",
        offers=offers,
        now=utcnow(),
        benefits=BENEFIT_LABELS,
        holdout=has_holdout(),
        title=_l("Offers"),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _edit(None)


@bp.route("/<offer_id>", methods=["GET", "POST"])
def edit(offer_id: str):
    return _edit(service.get_offer(offer_id))


def _edit(offer: Offer | None):
    form = _form(offer, formdata=request.method == "POST")
    status = 200
    if request.method == "POST":
        status = 422
        names = error_names("title", "body")
        if form.validate_on_submit():
            schema = OfferAdminSchema() if offer is None else OfferAdminSchema(partial=True)
            data = checked(form, schema, _data(form), names)
            if data is not None:
                try:
                    saved = (
                        admin.create_offer(data)
                        if offer is None
                        else admin.update_offer(offer, data)
                    )
                except ApiError as error:
                    db.session.rollback()
                    refused(form, error, names)
                else:
                    flash(gettext("Offer saved."), "ok")
                    return redirect(url_for(".edit", offer_id=saved.public_id))
    return page(
        "console/offers/edit.html",
        status=status,
        form=form,
        offer=offer,
        holdout=has_holdout(),
        title=_l("New offer") if offer is None else offer.title.get("en") or _l("Offer"),
    )
