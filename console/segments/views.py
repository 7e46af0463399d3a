"""Segments: their criteria, and how many members they select (with a few of them) as the
criteria change, before anything is saved."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import fields as ma
from sqlalchemy import select

from app import audit
from app.errors import ApiError
from app.extensions import db
from app.segments import service
from app.segments.models import Segment
from app.segments.schemas import SegmentSchema
from app.stores.models import Region
from app.tiers.service import all_tiers
from console.forms import options, refused, show_errors
from console.pages import page
from console.segments.forms import CORE, extra_criteria, form_class
from console.web import requires

bp = Blueprint("segments", __name__, url_prefix="/segments")
requires(bp, "admin")
NAV = ((_l("Segments"), "index", "admin"),)
SAMPLE = 8


def _form(segment: Segment | None = None, formdata: bool = True):
    cls = form_class()
    form = cls() if formdata else cls(formdata=None, data=_values(segment))
    form.tiers.choices = options((t.code, t.name) for t in all_tiers())
    form.regions.choices = options(
        (r.code, r.name) for r in db.session.scalars(select(Region).order_by(Region.code))
    )
    return form


def _values(segment: Segment | None) -> dict:
    if segment is None:
        return {}
    rules = dict(segment.rules or {})
    values: dict = {"name": segment.name}
    for name, value in rules.items():
        if name in ("joined_from", "joined_to") and value:
            values[name] = datetime.fromisoformat(value).date()
        elif name == "marketing_consent":
            values[name] = "yes" if value else "no"
        elif name in CORE:
            values[name] = value
        elif isinstance(value, list):
            values[name] = ", ".join(str(v) for v in value)
        else:
            values[name] = value
    return values


def rules_of(form) -> dict:
    """The form's criteria as the segment's rules (JSON, as the API takes them)."""
    rules: dict = {}
    for name in ("tiers", "languages", "regions"):
        if getattr(form, name).data:
            rules[name] = list(getattr(form, name).data)
    for name in ("points_min", "points_max", "purchased_within_days", "spend_days"):
        if getattr(form, name).data is not None:
            rules[name] = getattr(form, name).data
    for name in ("joined_from", "joined_to"):
        day: date | None = getattr(form, name).data
        if day is not None:
            rules[name] = datetime.combine(day, datetime.min.time(), UTC).isoformat()
    if form.spend_min.data:
        rules["spend_min"] = form.spend_min.data.strip()
    if form.marketing_consent.data in ("yes", "no"):
        rules["marketing_consent"] = form.marketing_consent.data == "yes"
    for name, field in extra_criteria().items():
        raw = (getattr(form, name).data or "").strip()
        if not raw:
            continue
        if isinstance(field, ma.List):
            rules[name] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            rules[name] = raw
    return rules


def _checked_rules(form) -> dict | None:
    try:
        return service.validated_rules(rules_of(form))
    except ApiError as error:
        fields = error.details.get("fields", {}).get("rules", {})
        show_errors(form, fields, {})
        return None


@bp.route("/")
def index():
    segments = list(db.session.scalars(select(Segment).order_by(Segment.id.desc())))
    return page("console/segments/index.html", segments=segments, title=_l("Segments"))


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _edit(None)


@bp.route("/<segment_id>", methods=["GET", "POST"])
def edit(segment_id: str):
    return _edit(service.get_segment(segment_id))


def _edit(segment: Segment | None):
    form = _form(segment, formdata=request.method == "POST")
    status = 200
    if request.method == "POST":
        status = 422
        rules = _checked_rules(form) if form.validate_on_submit() else None
        if rules is not None:
            name_errors = SegmentSchema().validate({"name": form.name.data, "rules": rules})
            if name_errors:
                show_errors(form, name_errors, {})
            else:
                target = segment or Segment()
                if segment is None:
                    audit.record("segment.create", target, schema=SegmentSchema, created=True)
                else:
                    audit.record("segment.update", target, schema=SegmentSchema)
                try:
                    saved = service.save(target, form.name.data.strip(), rules)
                except ApiError as error:
                    db.session.rollback()
                    refused(form, error)
                else:
                    flash(gettext("Segment saved."), "ok")
                    return redirect(url_for(".edit", segment_id=saved.public_id))
    preview = _preview(segment.rules if segment is not None else {})
    return page(
        "console/segments/edit.html",
        status=status,
        form=form,
        segment=segment,
        title=segment.name if segment else _l("New segment"),
        extra=list(extra_criteria()),
        **preview,
    )


def _preview(rules: dict) -> dict:
    probe = Segment(name="preview", rules=rules)
    return {"count": service.count(probe), "sample": service.sample(probe, SAMPLE)}


@bp.route("/preview", methods=["POST"])
def preview():
    """The count and a sample for the criteria as they stand in the form, unsaved."""
    form = _form()
    rules = _checked_rules(form)
    context = _preview(rules) if rules is not None else {"count": None, "sample": []}
    return page(
        "console/segments/_preview.html",
        status=200 if rules is not None else 422,
        form=form,
        **context,
    )
