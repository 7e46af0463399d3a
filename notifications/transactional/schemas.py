"""What goes in and out over HTTP for a member's notification switches."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validates_schema

from app.schemas import StrictSchema
from notifications.transactional.models import TRANSACTIONAL_KINDS


class PreferencesPatchSchema(StrictSchema):
    points_earned = fields.Bool()
    tier_changed = fields.Bool()
    challenge_completed = fields.Bool()
    contest_won = fields.Bool()
    offer_expiring = fields.Bool()
    referrals = fields.Bool(metadata={"description": "A friend joined; a referral reward."})
    survey_invitation = fields.Bool()
    poll_result = fields.Bool()
    event_waitlist = fields.Bool()

    @validates_schema
    def _something(self, data: dict, **_kwargs) -> None:
        if not data:
            raise ValidationError(f"Give at least one of {', '.join(TRANSACTIONAL_KINDS)}.")


class PreferencesSchema(StrictSchema):
    """Every switch, dumped from the member's preferences (all on when never changed)."""

    points_earned = fields.Bool(required=True)
    tier_changed = fields.Bool(required=True)
    challenge_completed = fields.Bool(required=True)
    contest_won = fields.Bool(required=True)
    offer_expiring = fields.Bool(required=True)
    referrals = fields.Bool(required=True)
    survey_invitation = fields.Bool(required=True)
    poll_result = fields.Bool(required=True)
    event_waitlist = fields.Bool(required=True)
