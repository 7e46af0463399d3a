"""Localized texts in forms: one field per program language ("title_fi"), gathered into the
{"fi": "..."} maps the schemas take."""

from __future__ import annotations

from typing import Any

from wtforms import Field

from console.i18n import LANGUAGES


def localized(form: Any, name: str) -> dict[str, str]:
    out = {}
    for code in LANGUAGES:
        value = (getattr(form, f"{name}_{code}").data or "").strip()
        if value:
            out[code] = value
    return out


def fill(form: Any, name: str, texts: dict[str, str] | None) -> None:
    for code, text in (texts or {}).items():
        field: Field | None = getattr(form, f"{name}_{code}", None)
        if field is not None:
            field.data = text


def error_names(*names: str) -> dict[str, str]:
    """A schema's error on `title` is shown on the form's first language field."""
    first = next(iter(LANGUAGES))
    return {name: f"{name}_{first}" for name in names}
