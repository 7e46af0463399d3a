"""Reading and changing the referral program's settings (one row, made on first use)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError
from app.extensions import db
from app.program.service import get_program
from app.rewards.models import Reward
from app.schemas import to_minor
from referrals.program.models import ReferralSettings

SETTINGS_ID = 1
SIDES = ("friend", "referrer")


def get_settings() -> ReferralSettings:
    """The settings row; read only when a referral qualifies or is shown, never per purchase."""
    row = db.session.get(ReferralSettings, SETTINGS_ID)
    if row is None:
        try:
            with db.session.begin_nested():
                row = ReferralSettings(id=SETTINGS_ID)
                db.session.add(row)
        except IntegrityError:  # made by a concurrent first use
            row = db.session.get(ReferralSettings, SETTINGS_ID)
    return row


def hold(settings: ReferralSettings) -> timedelta:
    days = settings.hold_days
    return timedelta(days=get_program().return_window_days if days is None else days)


def reward_ref(public_id: str | None, field: str) -> int | None:
    """A catalog reward named in a body, or a 422 on that field."""
    if public_id is None:
        return None
    reward = db.session.scalar(select(Reward).where(Reward.public_id == public_id))
    if reward is None:
        raise ApiError(
            422, "validation_error", f"Unknown {field}.", {"fields": {field: ["unknown id"]}}
        )
    return reward.id


def update_settings(changes: dict) -> ReferralSettings:
    """Change some settings; per side, points or a reward of the catalog, not both."""
    settings = get_settings()
    if "min_purchase" in changes:
        changes["min_purchase_minor"] = to_minor(changes.pop("min_purchase"))
    for side in SIDES:
        key = f"{side}_reward_id"
        if key in changes:
            changes[key] = reward_ref(changes[key], key)
    for field, value in changes.items():
        setattr(settings, field, value)
    for side in SIDES:
        if getattr(settings, f"{side}_points") and getattr(settings, f"{side}_reward_id"):
            raise ApiError(
                422,
                "validation_error",
                f"The {side}'s reward is points or a reward of the catalog, not both.",
                {"fields": {f"{side}_reward_id": ["give points 0 with a reward"]}},
            )
    db.session.flush()
    return settings
