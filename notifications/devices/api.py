"""The member's devices: registering the app for pushes, listing, unregistering."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from app.openapi import errors
from notifications.devices import service
from notifications.devices.schemas import DeviceInSchema, DeviceSchema

blp = Blueprint("push_devices", __name__, url_prefix="/api/v1/me", description="Push devices")


@blp.route("/devices", methods=["POST"])
@member_required
@blp.arguments(DeviceInSchema)
@errors(409, "device_conflict")
@blp.response(201, DeviceSchema, description="A new device.")
@blp.alt_response(200, schema=DeviceSchema, description="A known device, refreshed.")
def register(data):
    """Register the app for pushes (201), or refresh a known device (200).

    Send the Firebase installation ID as `fid`; `token` only from app versions that have none.
    A device registered by another member moves to this one.
    """
    device, created = service.register_device(current_member(), data)
    return device, 201 if created else 200


@blp.route("/devices", methods=["GET"])
@member_required
@blp.response(200, DeviceSchema(many=True))
def my_devices():
    """The member's active devices."""
    return service.devices_of(current_member())


@blp.route("/devices/<device_id>", methods=["DELETE"])
@member_required
@errors(404, "device_not_found")
@blp.response(204)
def unregister(device_id):
    """Stop pushes to this device (sign-out); deleting it again changes nothing."""
    service.unregister_device(current_member(), device_id)
