"""Apple's PassKit web service, version 1, as Wallet on a device calls it.

Mounted under the path of the pass's webServiceURL (https://host/passkit -> /passkit/v1/...).
Register, unregister and fetch carry `Authorization: ApplePass <authenticationToken>` and are
checked before anything else; the listing and the log carry no token, as in Apple's protocol.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from flask_smorest import Blueprint

from app.errors import ApiError
from app.extensions import db, limiter
from app.members.models import Member
from app.request_hygiene import body_limit
from passes.apple import registrations, service
from passes.apple.api import pkpass_response
from passes.apple.wallet_log import store_log_lines
from passes.state import current_state

MAX_DEVICE_ID = 128
MAX_PUSH_TOKEN = 200


def _bad_body(message: str) -> ApiError:
    return ApiError(400, "malformed_body", message)


def _json_object() -> dict:
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise _bad_body("The body must be a JSON object.")
    return body


def _push_token() -> str:
    token = _json_object().get("pushToken")
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_PUSH_TOKEN:
        raise _bad_body("pushToken must be a non-empty string.")
    return token.strip()


def _device_id(device_id: str) -> str:
    if not device_id or len(device_id) > MAX_DEVICE_ID:
        raise _bad_body("The device library identifier is not valid.")
    return device_id


def _log_lines() -> list[str]:
    logs = _json_object().get("logs")
    if not isinstance(logs, list) or not all(isinstance(line, str) for line in logs):
        raise _bad_body("logs must be a list of strings.")
    return logs


def _pass_key() -> str:
    return "passkit-register:" + str((request.view_args or {}).get("serial", ""))


# Limits decorate the views once, here: the limiter keeps its limits per view, and every app
# that mounts the blueprint would otherwise add one more limit (and hit) to the same view.
# Registrations per client address (every attempt counts, wrong tokens too), and per pass (only
# attempts that carry its token count, so that nobody can use up another member's allowance).
@limiter.limit(lambda: current_app.config["PASS_REGISTER_RATE_LIMIT"])
@limiter.limit(
    lambda: current_app.config["PASS_REGISTER_PASS_RATE_LIMIT"],
    key_func=_pass_key,
    deduct_when=lambda response: response.status_code != 401,
)
def register(device_id: str, pass_type: str, serial: str):
    """Register a device for a pass's updates: 201 when new, 200 when already registered.

    409 too_many_devices past PASS_MAX_DEVICES_PER_PASS, 409 membership_ended for an ended
    membership's (void) pass.
    """
    pass_ = service.authenticate(pass_type, serial, request.headers.get("Authorization"))
    device_id = _device_id(device_id)
    created = registrations.register_device(
        pass_, device_id, _push_token(), current_state().settings.max_devices_per_pass
    )
    return Response(status=201 if created else 200)


def unregister(device_id: str, pass_type: str, serial: str):
    """Stop sending this pass's updates to the device."""
    pass_ = service.authenticate(pass_type, serial, request.headers.get("Authorization"))
    registrations.unregister_device(pass_, device_id)
    return Response(status=200)


def updated(device_id: str, pass_type: str):
    """The device's passes changed since `passesUpdatedSince` (all without it); 204: none."""
    found = registrations.updated_serials(
        device_id, pass_type, request.args.get("passesUpdatedSince")
    )
    if found is None:
        return Response(status=204)
    serials, tag = found
    return jsonify({"serialNumbers": serials, "lastUpdated": str(tag)})


def latest(pass_type: str, serial: str):
    """The pass as it is now; 304 when unchanged since If-Modified-Since."""
    pass_ = service.authenticate(pass_type, serial, request.headers.get("Authorization"))
    since = request.if_modified_since
    if since is not None and pass_.updated_at <= since:
        response = Response(status=304)
        response.last_modified = pass_.updated_at
        return response
    member = db.session.get(Member, pass_.member_id)
    return pkpass_response(service.build_apple_pass(current_state(), pass_, member), pass_)


@limiter.limit(lambda: current_app.config["PASS_LOG_RATE_LIMIT"])
@body_limit(lambda: current_state().settings.log_max_body_bytes)
def wallet_log():
    """Wallet's own error messages about our passes, kept for operators (bounded: see
    PASS_LOG_MAX_BODY_BYTES, PASS_LOG_MAX_LINES, PASS_LOG_MAX_LINE_CHARS)."""
    settings = current_state().settings
    store_log_lines(
        _log_lines(), request.remote_addr, settings.log_max_lines, settings.log_max_line_chars
    )
    return Response(status=200)


def passkit_blueprint(prefix: str) -> Blueprint:
    """A blueprint per app: its URL prefix comes from that app's webServiceURL."""
    blp = Blueprint(
        "passkit",
        __name__,
        url_prefix=f"{prefix}/v1",
        description="Apple's PassKit web service (v1): what Wallet on devices calls",
    )
    registration = "/devices/<device_id>/registrations/<pass_type>/<serial>"
    blp.route(registration, methods=["POST"])(register)
    blp.route(registration, methods=["DELETE"])(unregister)
    blp.route("/devices/<device_id>/registrations/<pass_type>", methods=["GET"])(updated)
    blp.route("/passes/<pass_type>/<serial>", methods=["GET"])(latest)
    blp.route("/log", methods=["POST"])(wallet_log)
    return blp
