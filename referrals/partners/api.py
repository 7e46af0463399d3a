"""Operators' partners (creators): create, list, change, and the funnel report."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from app.auth.guards import admin_required
from app.extensions import db
from app.models_base import utcnow
from app.openapi import errors
from referrals import privacy
from referrals.partners import report, service
from referrals.partners.schemas import (
    PartnerChangesSchema,
    PartnerCreateSchema,
    PartnerReportSchema,
    PartnerSchema,
    ReportArgs,
)

blp = Blueprint(
    "admin_partners", __name__, url_prefix="/api/v1/admin", description="Referrals: partners"
)
CSV = "text/csv"


@blp.route("/partners", methods=["GET"])
@admin_required
@blp.response(200, PartnerSchema(many=True))
def partners():
    return service.list_partners()


@blp.route("/partners", methods=["POST"])
@admin_required
@blp.arguments(PartnerCreateSchema)
@errors(409, "partner_code_taken")
@blp.response(201, PartnerSchema)
def create_partner(data):
    """A partner with a vanity code, a validity window, a welcome reward for members who join
    with it (points or a reward of the catalog), an optional cap on sign-ups and a commission
    recorded per qualified member (points or money; the program pays nothing). Audited."""
    partner = service.create_partner(data)
    privacy.record_partner("partner.create", partner, created=True)
    db.session.commit()
    return partner


@blp.route("/partners/<partner_id>", methods=["GET"])
@admin_required
@errors(404, "partner_not_found")
@blp.response(200, PartnerSchema)
def partner(partner_id):
    return service.get_partner(partner_id)


@blp.route("/partners/<partner_id>", methods=["PATCH"])
@admin_required
@blp.arguments(PartnerChangesSchema)
@errors(404, "partner_not_found")
@blp.response(200, PartnerSchema)
def patch_partner(changes, partner_id):
    """Change a partner (not its code). Audited."""
    found = service.get_partner(partner_id)
    privacy.record_partner("partner.update", found)
    found = service.update_partner(found, changes)
    db.session.commit()
    return found


@blp.route("/partners/<partner_id>/report", methods=["GET"])
@admin_required
@blp.arguments(ReportArgs, location="query")
@errors(404, "partner_not_found")
@blp.response(200, PartnerReportSchema)
@blp.doc(responses={200: {"content": {CSV: {"schema": {"type": "string"}}}}})
def partner_report(args, partner_id):
    """The partner's funnel: sign-ups, first purchases, members still active after 30 and 90
    days, their spend, and the points, rewards and commissions it cost. `?format=csv` gives
    the same figures as one CSV row under a header."""
    found = report.report(service.get_partner(partner_id), utcnow())
    if args["format"] == "csv":
        return Response(report.as_csv(found), content_type=f"{CSV}; charset=utf-8")
    return found
