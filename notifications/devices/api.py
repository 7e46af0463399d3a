"""The member's side: devices, notification switches, opens."""

from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.auth.guards import current_member, member_required
from notifications import devices
from notifications.schemas import (
    DeviceInSchema,
    DeviceSchema,
    OpenedSchema,
    PreferencesPatchSchema,
    PreferencesSchema,
)

blp = Blueprint(
    "notifications", __name__, url_prefix="/api/v1/me", description="Push notifications"
)


def _preferences(member_id: int) -> dict:
    from notifications.transactional import preferences_of

    return PreferencesSchema().dump(preferences_of(member_id))


@blp.route("/devices", methods=["POST"])
@member_required
@blp.arguments(DeviceInSchema)
@blp.response(201, DeviceSchema)
def register(data):
    """Register the app for pushes (201), or refresh a known device (200).

    Send the Firebase installation ID as `fid`; `token` only from app versions that have none.
    A device registered by another member moves to this one.
    """
    device, created = devices.register_device(current_member(), data)
    return jsonify(DeviceSchema().dump(device)), 201 if created else 200


@blp.route("/devices", methods=["GET"])
@member_required
@blp.response(200, DeviceSchema(many=True))
def my_devices():
    return jsonify(DeviceSchema(many=True).dump(devices.devices_of(current_member())))


@blp.route("/devices/<device_id>", methods=["DELETE"])
@member_required
@blp.response(204)
def unregister(device_id):
    """Stop pushes to this device (sign-out); deleting it again changes nothing."""
    devices.unregister_device(current_member(), device_id)
    return "", 204


@blp.route("/notification-preferences", methods=["GET"])
@member_required
@blp.response(200, PreferencesSchema)
def preferences():
    """Switches for transactional pushes; campaigns follow the profile's marketing consent."""
    return jsonify(_preferences(current_member().id))


@blp.route("/notification-preferences", methods=["PATCH"])
@member_required
@blp.arguments(PreferencesPatchSchema)
@blp.response(200, PreferencesSchema)
def patch_preferences(changes):
    member = current_member()
    devices.update_preferences(member, changes)
    return jsonify(_preferences(member.id))


@blp.route("/notifications/<notification_id>/opened", methods=["POST"])
@member_required
@blp.response(200, OpenedSchema)
def opened(notification_id):
    """The app reports an open: `notification_id` is the push's `delivery_id` data field."""
    delivery = devices.mark_opened(current_member(), notification_id)
    return jsonify(OpenedSchema().dump({"id": delivery.public_id, "opened_at": delivery.opened_at}))
