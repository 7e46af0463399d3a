"""What a report can be narrowed by: a store, a region, a channel, a period; and how the answer
is sent (`format`).

A store or region means the purchase's store for what purchases made (spend, visits, refunds,
discounts, points earned on purchases) and the member's home store for the rest (balances,
cohorts, activity, redemptions). A channel only narrows what purchases made; figures that have
no channel are null under a channel filter. Each report's query schema lists only the filters
it honours: any other is a 422.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from app.errors import ApiError
from app.extensions import db
from app.purchases.models import CHANNELS
from app.schemas import StrictSchema
from app.stores.models import Region, Store

MAX_PERIOD_DAYS = 3660
FORMATS = ("json", "csv")


class FormatArgs(StrictSchema):
    format = fields.Str(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "`csv`: the report's rows as text/csv."},
    )


class StoreArgs(FormatArgs):
    store = fields.Str(
        validate=validate.Length(min=1, max=32), metadata={"description": "A store's id."}
    )
    region = fields.Str(
        validate=validate.Length(min=1, max=32), metadata={"description": "A region's id."}
    )


class PeriodArgs(FormatArgs):
    from_ = fields.Date(
        data_key="from", metadata={"description": "First day (UTC) of the period, inclusive."}
    )
    to = fields.Date(metadata={"description": "Last day (UTC) of the period, inclusive."})

    @validates_schema
    def _order(self, data: dict, **_kwargs) -> None:
        start, end = data.get("from_"), data.get("to")
        if start and end:
            if start > end:
                raise ValidationError("Must not be after `to`.", "from")
            if (end - start).days > MAX_PERIOD_DAYS:
                raise ValidationError("The period is at most ten years.", "from")


class StorePeriodArgs(StoreArgs, PeriodArgs):
    pass


class AllArgs(StorePeriodArgs):
    channel = fields.Str(validate=validate.OneOf(CHANNELS))


@dataclass(frozen=True)
class Filters:
    store: Store | None = None
    region: Region | None = None
    # The stores the store and region filters leave; None: no such filter.
    store_ids: frozenset[int] | None = None
    channel: str | None = None
    start: date | None = None
    end: date | None = None
    format: str = "json"

    @property
    def by_place(self) -> bool:
        return self.store_ids is not None

    def echo(self) -> dict:
        return {
            "store": self.store.public_id if self.store else None,
            "region": self.region.public_id if self.region else None,
            "channel": self.channel,
            "from": self.start,
            "to": self.end,
        }


def _unknown(field: str) -> ApiError:
    return ApiError(
        422, "validation_error", f"Unknown {field}.", {"fields": {field: ["unknown id"]}}
    )


def resolve(args: dict) -> Filters:
    store = region = None
    store_ids: set[int] | None = None
    if args.get("store"):
        store = db.session.scalar(select(Store).where(Store.public_id == args["store"]))
        if store is None:
            raise _unknown("store")
        store_ids = {store.id}
    if args.get("region"):
        region = db.session.scalar(select(Region).where(Region.public_id == args["region"]))
        if region is None:
            raise _unknown("region")
        in_region = set(db.session.scalars(select(Store.id).where(Store.region_id == region.id)))
        store_ids = in_region if store_ids is None else store_ids & in_region
    return Filters(
        store=store,
        region=region,
        store_ids=frozenset(store_ids) if store_ids is not None else None,
        channel=args.get("channel"),
        start=args.get("from_"),
        end=args.get("to"),
        format=args.get("format", "json"),
    )
