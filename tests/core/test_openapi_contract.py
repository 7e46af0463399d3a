"""The OpenAPI document is a contract: valid OpenAPI 3.0, errors in the app's one shape, and
every core operation's success answer described by the schema it is dumped through."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator

from app.openapi import DECIMAL_PATTERN
from tests.fuzz.baseline import CHECK_NAMES, UNDOCUMENTED, load_baseline

# Paths of the core's operations (the feature packages' live under their own words).
CORE_PREFIXES = tuple(
    f"/api/v1/{p}"
    for p in (
        "auth",
        "me/points",
        "transactions",
        "rewards",
        "redemptions",
        "offers",
        "admin/members",
    )
)


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").get_json()


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def _core_operations(app, spec: dict):
    """(path, method, operation) of the views that live in app/ (not the feature packages)."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        module = app.view_functions[rule.endpoint].__module__
        if path not in spec["paths"] or module.split(".")[0] != "app":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield path, method.lower(), spec["paths"][path][method.lower()]


def test_the_document_is_valid_openapi_3_0(spec):
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in OpenAPIV30SpecValidator(spec).iter_errors()
    ]
    assert errors == []


def test_decimals_are_strings_with_numeric_ranges(spec):
    amount = spec["components"]["schemas"]["PurchaseCreate"]["properties"]["amount"]
    assert amount == {
        "type": "string",
        "format": "decimal",
        "pattern": DECIMAL_PATTERN,
        "x-minimum": 0.01,
        "x-maximum": 100000,
    }
    multiplier = spec["components"]["schemas"]["Tier"]["properties"]["multiplier"]
    assert (multiplier["type"], multiplier["x-minimum"], multiplier["x-maximum"]) == (
        "string",
        1,
        10,
    )


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_errors_are_documented_in_the_apps_one_shape(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["Error"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["properties"]) == {"code", "message", "details"}
    for path, method, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if status[0] != "4":
                continue
            # The shared Error, or an operation's narrower one (an enum of codes) of that shape.
            schema = _resolve(spec, response["content"]["application/json"]["schema"])
            assert set(schema["properties"]) == {"error"}, (path, method, status)
            detail = _resolve(spec, schema["properties"]["error"])
            assert set(detail["properties"]) == {"code", "message", "details"}, (path, status)
    # flask-smorest's own {code, status, message, errors} is gone, also from its `default`.
    for response in spec["components"].get("responses", {}).values():
        assert response["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


def test_guarded_and_body_operations_document_their_errors(spec):
    redeem = spec["paths"]["/api/v1/rewards/{reward_id}/redeem"]["post"]
    assert {"401", "403", "404", "422"} <= set(redeem["responses"])
    assert redeem["security"] == [{"bearerAuth": []}]
    assert "token_expired" in redeem["responses"]["401"]["x-error-codes"]

    purchase = spec["paths"]["/api/v1/transactions"]["post"]
    assert purchase["security"] == [{"bearerAuth": []}, {"apiKey": []}]
    for status in ("400", "401", "403", "413", "422"):
        assert status in purchase["responses"], status
    assert purchase["responses"]["400"]["x-error-codes"][0] == "malformed_json"
    assert "invalid_characters" in purchase["responses"]["422"]["x-error-codes"]

    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "security" not in login
    assert "401" not in login["responses"] or "invalid_credentials" in str(login["responses"])
    assert login["responses"]["429"]["x-error-codes"] == ["rate_limited"]


def test_an_operations_own_codes_are_listed(spec):
    redeem = spec["paths"]["/api/v1/rewards/{reward_id}/redeem"]["post"]
    assert "insufficient_points" in redeem["responses"]["409"]["x-error-codes"]
    assert "`insufficient_points`" in redeem["responses"]["409"]["description"]


def test_every_core_operation_documents_its_success_body(app, spec):
    missing = []
    for path, method, operation in _core_operations(app, spec):
        success = {k: v for k, v in operation["responses"].items() if k[0] in "23"}
        assert "default" not in operation["responses"], (method, path)
        if not success:
            missing.append((method, path, "no success response"))
        for status, response in success.items():
            if status not in ("204", "304") and not response.get("content"):
                missing.append((method, path, status))
    assert missing == []


def _success_undocumented(operation: dict) -> bool:
    success = {k: v for k, v in operation["responses"].items() if k[0] in "23"}
    return not success or any(
        status not in ("204", "304") and not response.get("content")
        for status, response in success.items()
    )


def test_the_baseline_lists_exactly_the_operations_without_a_success_schema(spec):
    undocumented = {
        f"{method.upper()} {path}"
        for path, method, operation in _operations(spec)
        if _success_undocumented(operation)
    }
    listed = {
        operation for operation, entry in load_baseline().items() if UNDOCUMENTED in entry["checks"]
    }
    assert undocumented == listed


def test_every_baseline_entry_is_a_documented_operation_with_a_reason(spec):
    documented = {f"{method.upper()} {path}" for path, method, _ in _operations(spec)}
    for operation, entry in load_baseline().items():
        assert operation in documented, operation
        assert entry["reason"].strip(), operation
        assert set(entry["checks"]) <= {*CHECK_NAMES, UNDOCUMENTED}, operation
        # The core keeps its contract: only feature packages may have exceptions.
        assert not operation.split()[1].startswith(CORE_PREFIXES), operation


# Raised in the source but documented otherwise, each with its reason.
_DOCUMENTED_ELSEWHERE = {
    # /readyz's own 503 schema narrows the code to it (an enum), see test_probes.py.
    (503, "not_ready"),
    # A guard for a state the app cannot be in: the passes' blueprints exist only with it.
    (503, "passes_unavailable"),
}
_RAISED = re.compile(r'ApiError\(\s*(\d{3}),\s*"([a-z_]+)"')


def test_every_code_the_source_raises_is_documented_under_its_status(spec):
    """Every `ApiError(status, "code", ...)` written out in the app and its packages is listed
    by some operation under that status (codes built by helpers, `not_found(...)`, are held by
    the operations' own tests)."""
    root = Path(__file__).resolve().parents[2]
    raised = {
        (int(status), code)
        for path in root.glob("*/**/*.py")
        if path.relative_to(root).parts[0] not in {".venv", "tests", "bench", "migrations"}
        for status, code in _RAISED.findall(path.read_text())
    }
    documented = {
        (int(status), code)
        for _, _, operation in _operations(spec)
        for status, response in operation["responses"].items()
        for code in response.get("x-error-codes", ())
    }
    assert len(raised) > 50  # the pattern still finds the app's errors
    assert raised - documented == _DOCUMENTED_ELSEWHERE
