"""The OpenAPI document as a contract: the app's one error shape, each operation's errors and who
may call it, and decimals as the strings they are on the wire.

Every package, core or feature, gets this by registering its blueprint through
`app.register_blueprint`; a view adds its own stable error codes with `errors(...)`:

    @blp.route("/rewards/<reward_id>/redeem", methods=["POST"])
    @member_required
    @errors(409, "insufficient_points", "reward_out_of_stock")
    @blp.response(201, RedemptionSchema)
    def redeem(reward_id): ...

What every operation can answer is added here, from what the view is: 401/403 for a guarded
view (the guards in `app.auth.guards` mark it with `requires_auth`), 400/413/422 for one with a
body, 404 for one with path parameters, 429 for a rate-limited one, and 422 `invalid_characters`
for all (app.request_hygiene checks every request).
"""

from __future__ import annotations

import http
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, current_app
from flask_limiter.util import get_qualified_name
from flask_smorest import Api
from marshmallow import Schema, fields

F = TypeVar("F", bound=Callable[..., Any])

ERROR_COMPONENT = "Error"
BEARER = "bearerAuth"
API_KEY = "apiKey"
# Money and rates are decimals sent as strings ("42.50"): floats would round them.
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"

_AUTH_ATTR = "_api_auth"
_ERRORS_ATTR = "_api_errors"
_IDEMPOTENT_ATTR = "_api_idempotent"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class ErrorDetailSchema(Schema):
    code = fields.Str(
        required=True,
        metadata={
            "description": "Stable and machine-readable (`insufficient_points`); each "
            "operation lists the codes it can give under each status."
        },
    )
    message = fields.Str(required=True, metadata={"description": "For people; may change."})
    details = fields.Dict(
        required=True,
        metadata={"description": "What the code needs, e.g. `fields` for validation errors."},
    )


class ErrorSchema(Schema):
    """The one error shape: {"error": {"code", "message", "details"}}."""

    error = fields.Nested(ErrorDetailSchema, required=True)


# The codes every operation of a kind can give; a view's own `errors(...)` adds to them.
_BODY_ERRORS = {
    400: ("malformed_json",),
    413: ("payload_too_large",),
    422: ("validation_error",),
}
_AUTH_ERRORS = {
    401: ("unauthorized", "token_invalid", "token_expired", "token_revoked"),
    403: ("forbidden",),
}
_EVERY_OPERATION = {422: ("invalid_characters",)}
_IDEMPOTENCY_ERRORS = {
    400: ("idempotency_key_required", "idempotency_key_invalid"),
    409: ("idempotency_key_reused", "idempotency_in_progress"),
}
# What the guards themselves refuse beyond the token: an ended membership, an inactive store.
_GUARD_ERRORS = {("member",): {409: ("membership_ended",)}, ("staff",): {409: ("store_inactive",)}}


def errors(status: int, *codes: str) -> Callable[[F], F]:
    """Document that the view answers `status` with these stable error codes."""

    def decorate(view: F) -> F:
        found = {k: list(v) for k, v in getattr(view, _ERRORS_ATTR, {}).items()}
        found.setdefault(status, [])
        found[status] += [c for c in codes if c not in found[status]]
        setattr(view, _ERRORS_ATTR, found)
        return view

    return decorate


def idempotent(view: F) -> F:
    """Document the Idempotency-Key header the view requires (app.idempotency) and its errors."""
    setattr(view, _IDEMPOTENT_ATTR, True)
    return view


def requires_auth(view: F, *, api_key: bool = False, roles: Iterable[str] = ()) -> F:
    """Mark a guarded view: a bearer token (or the store's API key) and these roles."""
    schemes = (BEARER, API_KEY) if api_key else (BEARER,)
    setattr(view, _AUTH_ATTR, {"schemes": schemes, "roles": tuple(roles)})
    return view


def decimal_as_string(self, field: fields.Field, ret: dict, **kwargs: Any) -> dict:
    """apispec attribute function: a Decimal is a string on the wire (Flask's JSON writes
    Decimal as str, and `as_string` fields dump one), and its range is a pair of numbers."""
    if not isinstance(field, fields.Decimal):
        return {}
    out: dict[str, Any] = {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}
    for key in ("minimum", "maximum"):
        value = ret.pop(key, None)
        if value is not None:
            # JSON Schema ranges apply to numbers only: on a string they are information.
            out[f"x-{key}"] = _number(value)
    return out


def _number(value: Any) -> int | float:
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _error_response(status: int, codes: Iterable[str]) -> dict:
    codes = list(codes)
    description = http.HTTPStatus(status).phrase
    if codes:
        description += ": " + ", ".join(f"`{c}`" for c in codes)
    return {
        "description": description,
        "x-error-codes": codes,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
        },
    }


class ContractPlugin(BasePlugin):
    """Completes every operation's responses and security from what its view is."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def operation_helper(self, path=None, operations=None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        view = self.app.view_functions.get(rule.endpoint)
        auth = getattr(view, _AUTH_ATTR, None)
        own = getattr(view, _ERRORS_ATTR, {})
        limited = view is not None and _rate_limited(self.app, view)
        methods = [m for m, op in operations.items() if isinstance(op, dict)]
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            # Stable names for generated clients: `rewards_redeem`, not a path spelled out.
            operation_id = rule.endpoint.replace(".", "_")
            operation.setdefault(
                "operationId", operation_id if len(methods) == 1 else f"{operation_id}_{method}"
            )
            wanted: dict[int, list[str]] = {}

            def add(table: dict[int, Iterable[str]], into: dict[int, list[str]] = wanted) -> None:
                for status, codes in table.items():
                    bucket = into.setdefault(status, [])
                    bucket += [c for c in codes if c not in bucket]

            add(_EVERY_OPERATION)
            if "requestBody" in operation or method in ("post", "put", "patch"):
                add(_BODY_ERRORS)
            if "parameters" in operation or rule.arguments:
                add({422: ("validation_error",)})
            if rule.arguments:
                add({404: ("not_found",)})
            if auth is not None:
                add(_AUTH_ERRORS)
                add(_GUARD_ERRORS.get(auth["roles"], {}))
                if API_KEY in auth["schemes"]:
                    add({401: ("invalid_api_key",)})
                operation["security"] = [{scheme: []} for scheme in auth["schemes"]]
                if auth["roles"]:
                    note = "Roles: " + ", ".join(auth["roles"]) + "."
                    if auth["schemes"] == (BEARER, API_KEY):
                        note = "Store staff (bearer token) or the store's API key (X-API-Key)."
                    operation["description"] = (
                        operation.get("description", "") + "\n\n" + note
                    ).strip()
            if limited:
                add({429: ("rate_limited",)})
            if getattr(view, _IDEMPOTENT_ATTR, False):
                add(_IDEMPOTENCY_ERRORS)
                operation.setdefault("parameters", []).append(
                    {
                        "in": "header",
                        "name": IDEMPOTENCY_HEADER,
                        "required": True,
                        "description": "Unique per intended write: a retry with the same key "
                        "returns the first answer; the same key with another body is a 409.",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                    }
                )
            add(own)
            responses = operation.setdefault("responses", {})
            for status, codes in sorted(wanted.items()):
                _drop_status(responses, status)
                responses[str(status)] = _error_response(status, codes)
            if any(_is_success(code) for code in responses):
                # The operation says what it answers; anything else is a broken contract.
                responses.pop("default", None)


def _drop_status(responses: dict, status: int) -> None:
    for key in list(responses):
        if str(key) == str(status) or getattr(key, "value", None) == status:
            del responses[key]


def _is_success(code: Any) -> bool:
    try:
        return 200 <= int(code) < 400
    except (TypeError, ValueError):
        return False


def _rate_limited(app: Flask, view: Callable) -> bool:
    limiter_marks = set()
    for limiter in app.extensions.get("limiter", ()):
        limiter_marks |= getattr(limiter, "_marked_for_limiting", set())
    return get_qualified_name(view) in limiter_marks


class LoyaltyApi(Api):
    """flask-smorest's Api, documenting errors in the app's shape instead of its own."""

    ERROR_SCHEMA = ErrorSchema


def make_api(app: Flask, schema_name_resolver: Callable[[Any], str]) -> Api:
    api = LoyaltyApi(
        app,
        spec_kwargs={
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name_resolver),
            "extra_plugins": [ContractPlugin(app)],
        },
    )
    api.ma_plugin.converter.add_attribute_function(decimal_as_string)
    if ERROR_COMPONENT not in api.spec.components.schemas:
        api.spec.components.schema(ERROR_COMPONENT, schema=ErrorSchema)
    api.spec.components.security_scheme(
        BEARER, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    api.spec.components.security_scheme(
        API_KEY, {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    )
    return api


def replayed(body: Any, status: int) -> tuple[Response, int]:
    """The answer of an idempotent write (app.idempotency.run_once): dumped once by the
    operation's own schema when the write ran, stored, and sent as stored on a replay. It is
    not dumped again: the stored body is the schema's output already."""
    return current_app.json.response(body), status
