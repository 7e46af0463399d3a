from flask_smorest import Blueprint
from sqlalchemy import select

from app import audit
from app.admin import service
from app.admin.schemas import RegionSchema, StaffSchema, StoreSchema
from app.auth import service as auth
from app.auth.guards import admin_required
from app.auth.models import ApiKey
from app.auth.schemas import ApiKeyCreateSchema, ApiKeySchema, StaffCreateSchema
from app.extensions import db
from app.lookup import by_public_id
from app.openapi import errors
from app.stores.models import Region, Store

# The audit trail never holds a key, not even the one shown once.
_KEY_AUDIT = ApiKeySchema(exclude=("key",))

blp = Blueprint(
    "admin_stores", __name__, url_prefix="/api/v1/admin", description="Regions, stores, keys"
)


@blp.route("/regions", methods=["GET"])
@admin_required
@blp.response(200, RegionSchema(many=True))
def regions():
    return list(db.session.scalars(select(Region).order_by(Region.code)))


@blp.route("/regions", methods=["POST"])
@admin_required
@blp.arguments(RegionSchema)
@errors(409, "region_conflict")
@blp.response(201, RegionSchema)
def create_region(data):
    return service.create_region(data)


@blp.route("/regions/<region_id>", methods=["PATCH"])
@admin_required
@blp.arguments(RegionSchema(partial=True))
@errors(409, "region_conflict")
@blp.response(200, RegionSchema)
def patch_region(changes, region_id):
    return service.update_region(by_public_id(Region, region_id, "region"), changes)


@blp.route("/stores", methods=["GET"])
@admin_required
@blp.response(200, StoreSchema(many=True))
def stores():
    return list(db.session.scalars(select(Store).order_by(Store.code)))


@blp.route("/stores", methods=["POST"])
@admin_required
@blp.arguments(StoreSchema)
@errors(409, "store_conflict")
@blp.response(201, StoreSchema)
def create_store(data):
    return service.create_store(data)


@blp.route("/stores/<store_id>", methods=["PATCH"])
@admin_required
@blp.arguments(StoreSchema(partial=True))
@errors(409, "store_conflict")
@blp.response(200, StoreSchema)
def patch_store(changes, store_id):
    return service.update_store(by_public_id(Store, store_id, "store"), changes)


@blp.route("/api-keys", methods=["GET"])
@admin_required
@blp.response(200, ApiKeySchema(many=True))
def api_keys():
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id)))


@blp.route("/api-keys", methods=["POST"])
@admin_required
@blp.arguments(ApiKeyCreateSchema)
@errors(404, "store_not_found")
@blp.response(201, ApiKeySchema)
def create_api_key(data):
    """The key is in this answer only; we keep a hash of it."""
    store = by_public_id(Store, data["store_id"], "store")
    key, raw = auth.new_api_key(store, data["name"])
    audit.record("api_key.create", key, schema=_KEY_AUDIT, created=True)
    db.session.commit()
    key.key = raw  # shown in this answer only, never stored
    return key


@blp.route("/api-keys/<key_id>", methods=["DELETE"])
@admin_required
@errors(404, "api_key_not_found")
@blp.response(200, ApiKeySchema)
def revoke_api_key(key_id):
    audit.record("api_key.revoke", by_public_id(ApiKey, key_id, "api_key"), schema=_KEY_AUDIT)
    return auth.revoke_api_key(key_id)


@blp.route("/staff", methods=["POST"])
@admin_required
@blp.arguments(StaffCreateSchema)
@errors(404, "store_not_found")
@errors(409, "email_taken")
@blp.response(201, StaffSchema)
def create_staff(data):
    store = by_public_id(Store, data["store_id"], "store")
    user = auth.create_user(data["email"], data["password"], "staff", store)
    audit.record("staff.create", user, schema=StaffSchema, created=True)
    db.session.commit()
    return user
