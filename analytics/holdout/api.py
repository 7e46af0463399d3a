"""A campaign's or an offer's lift, for admins."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import RAISE

from analytics.holdout import lift as lift_service
from analytics.holdout.schemas import LiftArgs, LiftSchema
from analytics.stats import Comparison, Sample
from app.auth.guards import admin_required
from app.openapi import errors
from app.program.service import get_program

CENT, FOURTH = Decimal("0.01"), Decimal("0.0001")

offers_blp = Blueprint(
    "analytics_offer_lift", __name__, url_prefix="/api/v1/admin/offers", description="Offers"
)
campaigns_blp = Blueprint(
    "analytics_campaign_lift",
    __name__,
    url_prefix="/api/v1/admin/campaigns",
    description="Campaigns",
)


def _num(value: float | None, scale: int, places: Decimal) -> Decimal | None:
    return None if value is None else (Decimal(repr(value)) / scale).quantize(places)


def _comparison(c: Comparison, scale: int, places: Decimal) -> dict:
    return {
        "difference": _num(c.difference, scale, places),
        "ci_low": _num(c.low, scale, places),
        "ci_high": _num(c.high, scale, places),
        "degrees_of_freedom": None
        if c.degrees_of_freedom is None
        else round(c.degrees_of_freedom, 3),
        "verdict": c.verdict,
    }


def _group(members: int, spend: Sample, visits: Sample) -> dict:
    return {
        "members": members,
        "spend_per_member": _num(spend.mean, 100, CENT),
        "visits_per_member": _num(visits.mean, 1, FOURTH),
    }


def dump(lift: lift_service.Lift) -> dict:
    return {
        "subject": {"kind": lift.subject.kind, "id": lift.subject.public_id},
        "holdout_percent": lift.subject.percent,
        "currency": get_program().currency,
        "window": {
            "starts_at": lift.starts_at,
            "ends_at": lift.ends_at,
            "days": lift.window_days,
            "complete": lift.complete,
        },
        "treated": _group(lift.treated.members, lift.treated.spend, lift.treated.visits),
        "held_out": _group(lift.held_out.members, lift.held_out.spend, lift.held_out.visits),
        "spend": _comparison(lift.spend, 100, CENT),
        "visits": _comparison(lift.visits, 1, FOURTH),
        "incremental_spend": (Decimal(lift.incremental_spend_minor) / 100).quantize(CENT),
        "method": lift.method,
    }


def _window(args: dict) -> int:
    return args.get("window_days") or current_app.config["ANALYTICS_LIFT_WINDOW_DAYS"]


@offers_blp.route("/<offer_id>/lift", methods=["GET"])
@admin_required
@offers_blp.arguments(LiftArgs, location="query", unknown=RAISE)
@errors(404, "offer_not_found")
@errors(409, "lift_no_holdout", "lift_not_started")
@offers_blp.response(200, LiftSchema)
def offer_lift(args, offer_id):
    """Spend and visits per member of the offer's treated and held-out groups over the window
    from its start: the difference, Welch's 95 % interval, the group sizes, and whether it is
    significant."""
    return dump(lift_service.measure(lift_service.offer_subject(offer_id), _window(args)))


@campaigns_blp.route("/<campaign_id>/lift", methods=["GET"])
@admin_required
@campaigns_blp.arguments(LiftArgs, location="query", unknown=RAISE)
@errors(404, "campaign_not_found")
@errors(409, "lift_no_holdout", "lift_not_started")
@campaigns_blp.response(200, LiftSchema)
def campaign_lift(args, campaign_id):
    """Spend and visits per member of the campaign's treated (sent to) and held-out groups
    over the window from its fan-out: the difference, Welch's 95 % interval, the group sizes,
    and whether it is significant."""
    return dump(lift_service.measure(lift_service.campaign_subject(campaign_id), _window(args)))
