from marshmallow import fields, validate

from app.purchases.service import program_live_in
from app.schemas import LANGUAGES, PublicId, StrictSchema, computed
from app.stores.models import Region, Store


class ProgramSchema(StrictSchema):
    name = fields.Str(validate=validate.Length(min=1, max=120))
    currency = fields.Str(dump_only=True)
    base_points_per_unit = fields.Decimal(as_string=True, validate=validate.Range(min=0, max=1000))
    return_window_days = fields.Int(validate=validate.Range(min=0, max=365))
    points_validity_days = fields.Int(validate=validate.Range(min=1, max=3650))
    tier_window_days = fields.Int(validate=validate.Range(min=30, max=1095))
    rollout = fields.Str(validate=validate.OneOf(("all", "pilot")))
    default_language = fields.Str(validate=validate.OneOf(LANGUAGES))
    terms = fields.Str(validate=validate.Length(max=10_000))
    cost_per_point = fields.Decimal(
        as_string=True,
        places=6,
        validate=validate.Range(min=0, max=1000),
        metadata={"description": "What one point costs the program, in its currency."},
    )


class RegionSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    code = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    pilot = fields.Bool()


class StoreSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    code = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    region_id = PublicId(Region, required=True)
    kind = fields.Str(validate=validate.OneOf(("physical", "online")))
    pilot = fields.Bool()
    active = fields.Bool()
    program_live = computed(program_live_in, "boolean")


class TierSchema(StrictSchema):
    code = fields.Str(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,19}$"))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    rank = fields.Int(required=True, validate=validate.Range(min=0, max=100))
    threshold_points = fields.Int(required=True, validate=validate.Range(min=0, max=10**9))
    multiplier = fields.Decimal(as_string=True, validate=validate.Range(min=1, max=10))
    discount_percent = fields.Int(validate=validate.Range(min=0, max=90))
    privileges = fields.List(fields.Str(validate=validate.Length(max=200)))
    color = fields.Str(validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$"))


class StaffSchema(StrictSchema):
    id = fields.Str(attribute="public_id")
    email = fields.Str()
    store_id = PublicId(Store)
