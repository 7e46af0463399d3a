"""Full pages and the htmx fragments they are made of.

A form posts as a plain form (a whole page back) or through htmx (`HX-Request`: only its
fragment back): the same view answers both, so every page works without JavaScript too.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request


def htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def page(template: str, fragment: str | None = None, status: int = 200, **context: Any):
    """`fragment` alone for an htmx request when one is given, else the whole `template`."""
    name = fragment if fragment is not None and htmx() else template
    return render_template(name, **context), status
