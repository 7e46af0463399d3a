"""Forms: Flask-WTF for fields, labels and the CSRF token; the API's own schemas for the rules.

A form's values are loaded through the marshmallow schema the JSON API loads its bodies with,
and a service's refusal (an `ApiError`) is shown on the field it names: a rule is written once,
whichever way a change arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from wtforms.fields.choices import SelectChoice

from app.errors import ApiError


def options(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms' choices (it no longer takes bare tuples)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class ConsoleForm(FlaskForm):
    """A console form; `problems` are the errors that belong to no one field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problems: list[str] = []


def _messages(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [f"{key}: {m}" for key, inner in value.items() for m in _messages(inner)]
    if isinstance(value, list | tuple):
        return [m for item in value for m in _messages(item)]
    return [gettext(str(value))]


def show_errors(form: ConsoleForm, messages: Mapping[str, Any], names: Mapping[str, str]) -> None:
    """Put `{field: [message]}` on the form's fields; `names` maps a schema field to a form
    field where they differ. What matches no field is one of the form's `problems`."""
    for key, value in messages.items():
        field = getattr(form, names.get(key, key), None)
        if field is not None and hasattr(field, "errors") and key != "csrf_token":
            field.errors = [*field.errors, *_messages(value)]
        else:
            form.problems.extend(_messages({key: value}) if key != "_schema" else _messages(value))


def checked(
    form: ConsoleForm, schema: Schema, data: dict, names: Mapping[str, str] | None = None
) -> dict | None:
    """`data` as `schema` loads it, or None with the errors shown on the form."""
    try:
        return schema.load(data)
    except ValidationError as error:
        show_errors(form, error.messages, names or {})  # type: ignore[arg-type]
        return None


def refused(form: ConsoleForm, error: ApiError, names: Mapping[str, str] | None = None) -> None:
    """A service said no: its message, and the fields it names."""
    fields = error.details.get("fields") if isinstance(error.details, dict) else None
    form.problems.append(gettext(error.message))
    if isinstance(fields, Mapping):
        show_errors(form, fields, names or {})


def utc(value: datetime | None) -> str | None:
    """A `datetime-local` field's value, read as UTC, as the schemas' aware ISO 8601."""
    return value.replace(tzinfo=UTC).isoformat() if value is not None else None


def local(value: datetime | None) -> datetime | None:
    """A stored UTC time as a `datetime-local` field shows it."""
    return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None


def given(form: ConsoleForm, names: Iterable[str]) -> dict[str, Any]:
    """The fields' values by name, leaving out those left empty (the schema's default holds)."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(form, name).data
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            continue
        out[name] = utc(value) if isinstance(value, datetime) else value
    return out
