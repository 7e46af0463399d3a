"""What the reports answer. A report's rows (`many` nested, flat) are also its CSV."""

from __future__ import annotations

from marshmallow import Schema, fields


def _money(description: str = "", **kwargs) -> fields.Decimal:
    return fields.Decimal(
        as_string=True, allow_none=True, metadata={"description": description}, **kwargs
    )


def _ratio(description: str) -> fields.Decimal:
    return fields.Decimal(as_string=True, allow_none=True, metadata={"description": description})


def _int(description: str = "", nullable: bool = False) -> fields.Int:
    return fields.Int(allow_none=nullable, metadata={"description": description})


class FiltersSchema(Schema):
    store = fields.Str(allow_none=True)
    region = fields.Str(allow_none=True)
    channel = fields.Str(allow_none=True)
    from_ = fields.Date(data_key="from", attribute="from", allow_none=True)
    to = fields.Date(allow_none=True)


SUMMED = fields.Date(
    allow_none=True,
    metadata={"description": "The last UTC day whose recorded rows the figures include."},
)


class ExpiringSchema(Schema):
    within_days = fields.Int()
    points = fields.Int()
    value = _money()


class BreakageSchema(Schema):
    method = fields.Str(metadata={"description": "How the estimate is made."})
    rate = _ratio("Share of outstanding points expected never to be redeemed (null: no history).")
    points = _int("Expected never to be redeemed.", nullable=True)
    value = _money()


class LiabilityCohortSchema(Schema):
    join_month = fields.Date()
    members = fields.Int()
    points_outstanding = fields.Int()
    value_outstanding = _money()
    points_redeemed = fields.Int(metadata={"description": "In the cohort's whole history."})
    points_expired = fields.Int(metadata={"description": "In the cohort's whole history."})
    breakage_rate = _ratio("The cohort's rate, or the pooled one (rate_source).")
    rate_source = fields.Str(metadata={"description": "cohort, pooled or none."})
    breakage_points = _int(nullable=True)
    breakage_value = _money()


class LiabilitySchema(Schema):
    as_of = fields.DateTime(allow_none=True, metadata={"description": "When balances were read."})
    summed_through = SUMMED
    currency = fields.Str()
    cost_per_point = fields.Decimal(as_string=True)
    filters = fields.Nested(FiltersSchema)
    members = fields.Int()
    ended_members = fields.Int()
    points_available = fields.Int()
    points_pending = fields.Int()
    points_outstanding = fields.Int()
    value_available = _money()
    value_pending = _money()
    value_outstanding = _money()
    expiring = fields.List(fields.Nested(ExpiringSchema))
    breakage = fields.Nested(BreakageSchema)
    cohorts = fields.List(fields.Nested(LiabilityCohortSchema))


class RoiMonthSchema(Schema):
    month = fields.Date()
    active_members = _int("Members with a purchase that month (home store).", nullable=True)
    visits = fields.Int(metadata={"description": "Purchases."})
    spend = _money()
    refunds = _money()
    net_spend = _money()
    points_earned = fields.Int(metadata={"description": "Earn and bonus points given."})
    points_redeemed = _int("Net of points given back; null under a channel filter.", nullable=True)
    cost_points_redeemed = _money("Points redeemed x cost per point.")
    cost_discounts = _money("What discount offers took off purchases.")
    prize_points = _int("Catalog price in points of rewards given as prizes.", nullable=True)
    cost_prizes = _money("Prize points x cost per point.")
    cost_total = _money()
    cost_share_of_net_spend = _ratio("cost_total / net_spend.")
    incremental_spend = _money(
        "Sum over the holdout lifts measured that month of (treated - held-out spend per member) "
        "x treated members; null under a store, region or channel filter."
    )
    lifts_measured = fields.Int(metadata={"description": "Campaigns and offers measured."})


class RoiSchema(Schema):
    summed_through = SUMMED
    currency = fields.Str()
    cost_per_point = fields.Decimal(as_string=True)
    filters = fields.Nested(FiltersSchema)
    months = fields.List(fields.Nested(RoiMonthSchema))


class MetricSchema(Schema):
    group = fields.Str()
    name = fields.Str()
    value = fields.Decimal(as_string=True, allow_none=True)
    unit = fields.Str()
    description = fields.Str()


class EngagementSchema(Schema):
    summed_through = SUMMED
    filters = fields.Nested(FiltersSchema)
    metrics = fields.List(fields.Nested(MetricSchema))
    packages_not_loaded = fields.List(
        fields.Str(), metadata={"description": "Packages whose activity is not counted here."}
    )


class CohortRowSchema(Schema):
    join_month = fields.Date()
    months_since_joining = fields.Int()
    month = fields.Date()
    members = fields.Int(metadata={"description": "The cohort's size."})
    active_members = fields.Int(metadata={"description": "Of them, with a purchase that month."})
    share_active = _ratio("active_members / members.")
    spend = _money()
    average_spend = _money("Per active member.")


class CohortsSchema(Schema):
    summed_through = SUMMED
    currency = fields.Str()
    filters = fields.Nested(FiltersSchema)
    cohorts = fields.List(fields.Nested(CohortRowSchema))


class TierRowSchema(Schema):
    tier = fields.Str()
    name = fields.Str()
    rank = fields.Int()
    members = fields.Int(metadata={"description": "Now, with a live membership."})
    share_of_members = _ratio("")
    visits = fields.Int()
    spend = _money()
    net_spend = _money()
    net_spend_per_member = _money()
    upgrades_into = fields.Int()
    downgrades_into = fields.Int()


class TiersSchema(Schema):
    summed_through = SUMMED
    currency = fields.Str()
    filters = fields.Nested(FiltersSchema)
    tiers = fields.List(fields.Nested(TierRowSchema))


class TierMoveSchema(Schema):
    month = fields.Date()
    from_tier = fields.Str()
    to_tier = fields.Str()
    direction = fields.Str(metadata={"description": "up or down."})
    moves = fields.Int()


class TierMovesSchema(Schema):
    summed_through = SUMMED
    filters = fields.Nested(FiltersSchema)
    moves = fields.List(fields.Nested(TierMoveSchema))


class StoreRowSchema(Schema):
    store = fields.Str(allow_none=True)
    store_code = fields.Str(allow_none=True)
    store_name = fields.Str(allow_none=True)
    region = fields.Str()
    region_code = fields.Str()
    region_name = fields.Str()
    visits = fields.Int()
    spend = _money()
    refunds = _money()
    net_spend = _money()
    discounts = _money()
    points_earned = fields.Int(metadata={"description": "Earn and bonus points of purchases."})
    home_members = _int("Members whose home store it is (null under a channel filter).", True)


class StoresSchema(Schema):
    summed_through = SUMMED
    currency = fields.Str()
    filters = fields.Nested(FiltersSchema)
    group = fields.Str()
    rows = fields.List(fields.Nested(StoreRowSchema))


class AggregationRunSchema(Schema):
    summed_from = fields.Date(allow_none=True)
    summed_through = fields.Date(allow_none=True)
    batches = fields.Int()
    watermark = fields.Date(allow_none=True)
