"""Apple's PassKit web service, version 1, as Wallet on a device calls it.

Mounted under the path of the pass's webServiceURL (https://host/passkit -> /passkit/v1/...):
`passes.init_app` registers `blp` with that prefix. Register, unregister and fetch carry
`Authorization: ApplePass <authenticationToken>` (the `applePass` security scheme of the
document) and are checked before anything else; the listing and the log carry no token, as in
Apple's protocol. Statuses are Apple's: 201/200 for a new/known registration, 204 for nothing
changed, 304 for an unchanged pass; those answers have no body.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError

from app.errors import ApiError
from app.extensions import db, limiter
from app.members.models import Member
from app.openapi import errors
from app.request_hygiene import body_limit
from passes.apple import registrations, service
from passes.apple.api import pkpass_response
from passes.apple.pkpass import MIME_TYPE
from passes.apple.schemas import (
    APPLE_PASS_SECURITY,
    EMPTY_BODY,
    EMPTY_MEDIA_TYPE,
    IF_MODIFIED_SINCE,
    MAX_DEVICE_ID,
    PKPASS_BODY,
    PKPASS_HEADERS,
    RegistrationSchema,
    SerialNumbersSchema,
    UpdatedSinceQuerySchema,
    WalletLogSchema,
    load_wallet_body,
)
from passes.apple.wallet_log import store_log_lines
from passes.state import current_state

blp = Blueprint(
    "passkit",
    __name__,
    url_prefix="/passkit/v1",
    description="Apple's PassKit web service (v1): what Wallet on devices calls",
)

REGISTRATION = "/devices/<device_id>/registrations/<pass_type>/<serial>"


def _body_doc(schema: type[Schema]) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _empty(status: int) -> Response:
    return Response(b"", status=status, mimetype=EMPTY_MEDIA_TYPE)


def _wallet_body(schema: Schema, message: str) -> dict:
    """Wallet's body, or 400 malformed_body saying which field is wrong."""
    try:
        return load_wallet_body(schema, request.get_json(silent=True, force=True))
    except ValidationError as exc:
        details = {"fields": exc.messages} if isinstance(exc.messages, dict) else {}
        raise ApiError(400, "malformed_body", message, details) from None


def _device_id(device_id: str) -> str:
    if not device_id or len(device_id) > MAX_DEVICE_ID:
        raise ApiError(400, "malformed_body", "The device library identifier is not valid.")
    return device_id


def _pass_key() -> str:
    return "passkit-register:" + str((request.view_args or {}).get("serial", ""))


# Limits decorate the views once, here: the limiter keeps its limits per view, and every app
# that mounts the blueprint would otherwise add one more limit (and hit) to the same view.
# Registrations per client address (every attempt counts, wrong tokens too), and per pass (only
# attempts that carry its token count, so that nobody can use up another member's allowance).
@blp.route(REGISTRATION, methods=["POST"])
@limiter.limit(lambda: current_app.config["PASS_REGISTER_RATE_LIMIT"])
@limiter.limit(
    lambda: current_app.config["PASS_REGISTER_PASS_RATE_LIMIT"],
    key_func=_pass_key,
    deduct_when=lambda response: response.status_code != 401,
)
@blp.doc(security=APPLE_PASS_SECURITY, requestBody=_body_doc(RegistrationSchema))
@errors(400, "malformed_body")
@errors(401, "unauthorized")
@errors(409, "too_many_devices", "membership_ended")
@blp.response(201, EMPTY_BODY, content_type=EMPTY_MEDIA_TYPE, description="Registered (no body).")
@blp.alt_response(
    200,
    schema=EMPTY_BODY,
    content_type=EMPTY_MEDIA_TYPE,
    description="Already registered; the push token is renewed (no body).",
)
def register(device_id: str, pass_type: str, serial: str):
    """Register a device for a pass's updates: 201 when new, 200 when already registered.

    409 too_many_devices past PASS_MAX_DEVICES_PER_PASS, 409 membership_ended for an ended
    membership's (void) pass.
    """
    pass_ = service.authenticate(pass_type, serial, request.headers.get("Authorization"))
    device_id = _device_id(device_id)
    body = _wallet_body(RegistrationSchema(), "pushToken must be a non-empty string.")
    created = registrations.register_device(
        pass_, device_id, body["push_token"].strip(), current_state().settings.max_devices_per_pass
    )
    return _empty(201 if created else 200)


@blp.route(REGISTRATION, methods=["DELETE"])
@blp.doc(security=APPLE_PASS_SECURITY)
@errors(401, "unauthorized")
@blp.response(200, EMPTY_BODY, content_type=EMPTY_MEDIA_TYPE, description="Unregistered (no body).")
def unregister(device_id: str, pass_type: str, serial: str):
    """Stop sending this pass's updates to the device."""
    pass_ = service.authenticate(pass_type, serial, request.headers.get("Authorization"))
    registrations.unregister_device(pass_, device_id)
    return _empty(200)


@blp.route("/devices/<device_id>/registrations/<pass_type>", methods=["GET"])
@blp.arguments(UpdatedSinceQuerySchema, location="query")
@blp.response(200, SerialNumbersSchema)
@blp.alt_response(204, description="None of the device's passes changed since the tag.")
def updated(args: dict, device_id: str, pass_type: str):
    """The device's passes changed since `passesUpdatedSince` (all without it); 204: none."""
    found = registrations.updated_serials(device_id, pass_type, args["passes_updated_since"])
    if found is None:
        return Response(status=204)
    return found


@blp.route("/passes/<pass_type>/<serial>", methods=["GET"])
@blp.doc(security=APPLE_PASS_SECURITY, parameters=[IF_MODIFIED_SINCE])
@errors(401, "unauthorized")
@errors(503, "apple_pass_unavailable")
@blp.response(
    200,
    PKPASS_BODY,
    content_type=MIME_TYPE,
    headers=PKPASS_HEADERS,
    description="The signed pass as it is now.",
)
@blp.alt_response(304, description="Unchanged since If-Modified-Since.")
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


@blp.route("/log", methods=["POST"])
@limiter.limit(lambda: current_app.config["PASS_LOG_RATE_LIMIT"])
@body_limit(lambda: current_state().settings.log_max_body_bytes)
@blp.doc(requestBody=_body_doc(WalletLogSchema))
@errors(400, "malformed_body")
@blp.response(200, EMPTY_BODY, content_type=EMPTY_MEDIA_TYPE, description="Kept (no body).")
def wallet_log():
    """Wallet's own error messages about our passes, kept for operators (bounded: see
    PASS_LOG_MAX_BODY_BYTES, PASS_LOG_MAX_LINES, PASS_LOG_MAX_LINE_CHARS)."""
    settings = current_state().settings
    body = _wallet_body(WalletLogSchema(), "logs must be a list of strings.")
    store_log_lines(
        body["logs"], request.remote_addr, settings.log_max_lines, settings.log_max_line_chars
    )
    return _empty(200)
