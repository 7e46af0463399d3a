"""The reports over HTTP, for admins: JSON through the report's schema, or its rows as CSV."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import RAISE, fields, validate

from analytics.reports import cohorts as cohorts_report
from analytics.reports import engagement as engagement_report
from analytics.reports import liability as liability_report
from analytics.reports import places, schemas
from analytics.reports import roi as roi_report
from analytics.reports.csv import CSV_RESPONSE, csv_response
from analytics.reports.filters import (
    AllArgs,
    PeriodArgs,
    StoreArgs,
    StorePeriodArgs,
    resolve,
)
from app.auth.guards import admin_required

blp = Blueprint(
    "analytics",
    __name__,
    url_prefix="/api/v1/admin/analytics",
    description="What the program owes, costs and returns (from the daily aggregates)",
)


def _answer(args: dict, report, rows_key: str, row_schema, name: str, *extra):
    filters = resolve(args)
    body = report(filters, *extra)
    if filters.format == "csv":
        return csv_response(body[rows_key], row_schema, name)
    return body


class StoresArgs(AllArgs):
    group = fields.Str(load_default="store", validate=validate.OneOf(places.GROUPS))


@blp.route("/liability", methods=["GET"])
@admin_required
@blp.arguments(StoreArgs, location="query", unknown=RAISE)
@blp.response(200, schemas.LiabilitySchema)
@blp.doc(**CSV_RESPONSE)
def liability(args):
    """Points outstanding (available and pending) and their value at the program's cost per
    point, what expires in 30/60/90 days, and the estimated breakage by join-month cohort,
    with its method. As of the last aggregation run; store and region: members' home store.
    CSV: the cohorts."""
    return _answer(
        args, liability_report.liability, "cohorts", schemas.LiabilityCohortSchema, "liability"
    )


@blp.route("/roi", methods=["GET"])
@admin_required
@blp.arguments(AllArgs, location="query", unknown=RAISE)
@blp.response(200, schemas.RoiSchema)
@blp.doc(**CSV_RESPONSE)
def roi(args):
    """Per month (the 12 to the last summed day unless a period is given): spend and visits,
    the program's cost (points redeemed at the cost per point, offer discounts, rewards given
    as prizes) and the incremental spend measured against holdout groups. CSV: the months."""
    return _answer(args, roi_report.roi, "months", schemas.RoiMonthSchema, "roi")


@blp.route("/engagement", methods=["GET"])
@admin_required
@blp.arguments(AllArgs, location="query", unknown=RAISE)
@blp.response(200, schemas.EngagementSchema)
@blp.doc(**CSV_RESPONSE)
def engagement(args):
    """Active members, points earned against spent, and the activity of every loaded package
    (games, pushes, offers, referrals and partners, community) over the period (30 days to
    the last summed day unless given). CSV: the metrics."""
    return _answer(
        args, engagement_report.engagement, "metrics", schemas.MetricSchema, "engagement"
    )


@blp.route("/cohorts", methods=["GET"])
@admin_required
@blp.arguments(StorePeriodArgs, location="query", unknown=RAISE)
@blp.response(200, schemas.CohortsSchema)
@blp.doc(**CSV_RESPONSE)
def cohorts(args):
    """Join month x months since joining: the share of members still purchasing and their
    average spend. The period narrows the join months; store and region: home store."""
    return _answer(args, cohorts_report.cohorts, "cohorts", schemas.CohortRowSchema, "cohorts")


@blp.route("/tiers", methods=["GET"])
@admin_required
@blp.arguments(StorePeriodArgs, location="query", unknown=RAISE)
@blp.response(200, schemas.TiersSchema)
@blp.doc(**CSV_RESPONSE)
def tiers(args):
    """Members per tier (now) and their spend and tier moves in the period (12 months to the
    last summed day unless given)."""
    return _answer(args, places.tiers, "tiers", schemas.TierRowSchema, "tiers")


@blp.route("/tier-moves", methods=["GET"])
@admin_required
@blp.arguments(PeriodArgs, location="query", unknown=RAISE)
@blp.response(200, schemas.TierMovesSchema)
@blp.doc(**CSV_RESPONSE)
def tier_moves(args):
    """Tier moves per month, from and to each tier."""
    return _answer(args, places.tier_moves, "moves", schemas.TierMoveSchema, "tier-moves")


@blp.route("/stores", methods=["GET"])
@admin_required
@blp.arguments(StoresArgs, location="query", unknown=RAISE)
@blp.response(200, schemas.StoresSchema)
@blp.doc(**CSV_RESPONSE)
def stores(args):
    """Visits, spend, refunds, discounts and points per store (`group=store`) or region."""
    group = args.pop("group")
    return _answer(args, places.stores, "rows", schemas.StoreRowSchema, "stores", group)
