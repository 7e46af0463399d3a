"""The events this package publishes (by name: the notifications package pushes them to the
referrer without either importing the other)."""

from __future__ import annotations

# A friend joined with a member's code: {"member_id": the referrer, "referral_id"}.
REFERRAL_JOINED = "referral.joined"
# The hold has passed and the referrer's reward is theirs: {"member_id": the referrer,
# "referral_id", "points"}.
REFERRAL_REWARDED = "referral.rewarded"
