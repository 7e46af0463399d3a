"""The accepted exceptions of the API contract (baseline.toml beside this file)."""

from __future__ import annotations

import tomllib
from pathlib import Path

BASELINE = Path(__file__).with_name("baseline.toml")
# The schemathesis checks `make fuzz` holds every operation to.
CHECK_NAMES = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
# Not a schemathesis check: the operation documents no schema for its success answer.
UNDOCUMENTED = "documented_success_body"


def load_baseline() -> dict[str, dict]:
    """{"METHOD /path": {"operation", "checks": [...], "reason"}}."""
    entries = tomllib.loads(BASELINE.read_text())["accepted"]
    return {entry["operation"]: entry for entry in entries}
