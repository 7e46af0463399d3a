"""Check Google Wallet JSON against the walletobjects v1 discovery document.

google-api-python-client ships the document; checking against it catches a misspelt property,
a wrong type or an enum value Google has deprecated before Google's API rejects the call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import googleapiclient

DISCOVERY_PATH = (
    Path(googleapiclient.__file__).resolve().parent
    / "discovery_cache"
    / "documents"
    / "walletobjects.v1.json"
)


@lru_cache(maxsize=1)
def discovery_schemas() -> Mapping[str, Any]:
    return json.loads(DISCOVERY_PATH.read_text())["schemas"]


def required_properties(schema_name: str) -> list[str]:
    """Google marks required properties only in prose: descriptions starting "Required."."""
    properties = discovery_schemas()[schema_name].get("properties", {})
    return [
        name
        for name, spec in properties.items()
        if spec.get("description", "").startswith("Required.")
    ]


def validate(resource: Mapping[str, Any], schema_name: str, partial: bool = False) -> list[str]:
    """Problems found in resource as "path: message" strings; empty when it conforms.

    partial=True is for PATCH bodies, which may leave out required properties.
    """
    errors: list[str] = []
    if not partial:
        errors.extend(
            f"{schema_name}.{name}: required property missing"
            for name in required_properties(schema_name)
            if name not in resource
        )
    _check_object(resource, discovery_schemas()[schema_name], schema_name, errors)
    return errors


def _check_object(value: Any, schema: Mapping[str, Any], path: str, errors: list[str]) -> None:
    if not isinstance(value, Mapping):
        errors.append(f"{path}: expected an object, got {type(value).__name__}")
        return
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            spec = properties[key]
            if spec.get("deprecated"):
                errors.append(f"{path}.{key}: property is deprecated")
            _check(item, spec, f"{path}.{key}", errors)
        elif extra is not None:
            _check(item, extra, f"{path}.{key}", errors)
        else:
            errors.append(f"{path}.{key}: unknown property")


def _check(value: Any, spec: Mapping[str, Any], path: str, errors: list[str]) -> None:
    if "$ref" in spec:
        _check_object(value, discovery_schemas()[spec["$ref"]], path, errors)
        return
    kind = spec.get("type")
    fmt = spec.get("format")
    if kind == "object":
        _check_object(value, spec, path, errors)
    elif kind == "array":
        if not isinstance(value, list):
            errors.append(f"{path}: expected an array, got {type(value).__name__}")
            return
        for index, item in enumerate(value):
            _check(item, spec.get("items", {}), f"{path}[{index}]", errors)
    elif kind == "string":
        if not isinstance(value, str):
            # int64 and uint64 travel as JSON strings in Google's APIs.
            errors.append(
                f"{path}: expected a string ({fmt or 'text'}), got {type(value).__name__}"
            )
            return
        _check_enum(value, spec, path, errors)
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected an integer, got {type(value).__name__}")
        elif fmt == "int32" and not -(2**31) <= value < 2**31:
            errors.append(f"{path}: {value} does not fit int32")
        elif fmt == "uint32" and not 0 <= value < 2**32:
            errors.append(f"{path}: {value} does not fit uint32")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(f"{path}: expected a number, got {type(value).__name__}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean, got {type(value).__name__}")
    elif kind == "any" or kind is None:
        return
    else:
        errors.append(f"{path}: schema type {kind!r} is not understood by this validator")


def _check_enum(value: str, spec: Mapping[str, Any], path: str, errors: list[str]) -> None:
    options = spec.get("enum")
    if not options:
        return
    if value not in options:
        errors.append(f"{path}: {value!r} is not one of {options}")
        return
    deprecated = spec.get("enumDeprecated")
    if deprecated and deprecated[options.index(value)]:
        errors.append(f"{path}: {value!r} is a deprecated alias")
