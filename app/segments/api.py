from flask_smorest import Blueprint
from sqlalchemy import select

from app import audit
from app.auth.guards import admin_required
from app.extensions import db
from app.segments import service
from app.segments.models import Segment
from app.segments.schemas import PreviewSchema, SegmentSchema

blp = Blueprint(
    "admin_segments", __name__, url_prefix="/api/v1/admin/segments", description="Segments"
)


@blp.route("", methods=["GET"])
@admin_required
@blp.response(200, SegmentSchema(many=True))
def segments():
    return list(db.session.scalars(select(Segment).order_by(Segment.id)))


@blp.route("", methods=["POST"])
@admin_required
@blp.arguments(SegmentSchema)
@blp.response(201, SegmentSchema)
def create(data):
    segment = Segment()
    audit.record("segment.create", segment, schema=SegmentSchema, created=True)
    return service.save(segment, data["name"], data["rules"])


@blp.route("/<segment_id>", methods=["GET"])
@admin_required
@blp.response(200, SegmentSchema)
def get(segment_id):
    return service.get_segment(segment_id)


@blp.route("/<segment_id>", methods=["PATCH"])
@admin_required
@blp.arguments(SegmentSchema(partial=True))
@blp.response(200, SegmentSchema)
def patch(data, segment_id):
    segment = service.get_segment(segment_id)
    audit.record("segment.update", segment, schema=SegmentSchema)
    return service.save(segment, data.get("name"), data.get("rules"))


@blp.route("/<segment_id>/preview", methods=["GET"])
@admin_required
@blp.response(200, PreviewSchema)
def preview(segment_id):
    """How many members the rules select now, and a few of them."""
    segment = service.get_segment(segment_id)
    return {"count": service.count(segment), "sample": service.sample(segment)}
