"""A campaign's or an offer's lift, from the analytics package when the app runs it."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.errors import ApiError


def lift_of(kind: str, public_id: str) -> dict[str, Any] | None:
    """The lift as the analytics API answers it, `{"unavailable": why}` when it cannot be
    measured yet (no holdout, not started), None when analytics is off."""
    if "analytics" not in current_app.config["FEATURES"]:
        return None
    from analytics.holdout import lift
    from analytics.holdout.api import dump

    subject_of = lift.campaign_subject if kind == "campaign" else lift.offer_subject
    try:
        measured = lift.measure(
            subject_of(public_id), current_app.config["ANALYTICS_LIFT_WINDOW_DAYS"]
        )
    except ApiError as error:
        return {"unavailable": error.message}
    return dump(measured)
