"""Sign-up fields whose meaning a feature package gives (today: `referral_code`).

The core declares the field in the sign-up's schema and documents its errors; the feature
that honours it registers a handler from its init_app, per app. The handler runs inside the
sign-up's transaction, once the member exists and before the commit, so one that raises an
`ApiError` undoes the whole sign-up. A value sent to an app where no feature handles its
field is refused as invalid, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask, current_app

from app.errors import ApiError
from app.members.models import Member

Handler = Callable[[Member, str], object]
_EXTENSION = "signup_fields"


def register(app: Flask, field: str, handler: Handler) -> None:
    app.extensions.setdefault(_EXTENSION, {})[field] = handler


def apply(member: Member, values: Mapping[str, str | None]) -> None:
    handlers = current_app.extensions.get(_EXTENSION, {})
    for field, value in values.items():
        if value is None:
            continue
        handler = handlers.get(field)
        if handler is None:
            raise ApiError(
                422, f"{field}_invalid", "This program does not take this field.", {"field": field}
            )
        handler(member, value)
