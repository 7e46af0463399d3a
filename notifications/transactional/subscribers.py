"""What the core's (and the games') events become: an outbox job for a transactional push.

Each subscriber runs inside the business transaction and only writes the job
(``service.enqueue``); the job runs after commit, in the background.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import and_, exists, select

from app import events
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.members import facts
from app.members.models import Member
from notifications.devices.models import Device
from notifications.state import enabled
from notifications.transactional.models import NotificationPreference
from notifications.transactional.service import enqueue, link

# Published by the games package; by name, so that neither imports the other.
CHALLENGE_COMPLETED = "challenge.completed"
CONTEST_WON = "contest.won"
# Published by the community package, by name too.
SURVEY_INVITED = "community.survey_invited"
POLL_WINNER = "community.poll_winner"
WAITLIST_PROMOTED = "community.waitlist_promoted"
# Published by the referrals package, by name too.
REFERRAL_JOINED = "referral.joined"
REFERRAL_REWARDED = "referral.rewarded"


# The member fact read with a purchase's lock (app.members.facts): someone to tell.
POINTS_PUSH_FACT = "push_points"


def wants_points_push():
    """An active device, and the points_earned switch not off (no row: all switches on)."""
    switched_off = exists().where(
        NotificationPreference.member_id == Member.id,
        NotificationPreference.points_earned.is_(False),
    )
    return and_(exists().where(Device.member_id == Member.id, Device.active), ~switched_off)


def register_facts(app: Flask) -> None:
    facts.register(app, POINTS_PUSH_FACT, wants_points_push)


def _nobody_to_tell(member_id: int) -> bool:
    """Known from the member's lock that no device wants the push: no job to write. (Unknown:
    the job is written and decides when it runs, as it always does.)"""
    return facts.known_false(member_id, POINTS_PUSH_FACT)


def on_points_changed(payload: dict[str, Any]) -> None:
    """Points given outside a purchase (games, offers, referrals): "you earned N points"."""
    if not enabled():
        return
    if payload.get("kind") not in ("earn", "bonus") or payload.get("delta", 0) <= 0:
        return
    # A purchase's points (base, bonus, an offer's extra) arrive as several changes; its
    # purchase.recorded event carries their sum, so one push says it all.
    if payload.get("reference_type") == "purchase" or _nobody_to_tell(payload["member_id"]):
        return
    entry = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.reference_type)
        .where(LedgerEntry.member_id == payload["member_id"])
        .order_by(LedgerEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None or entry.reference_type == "purchase":
        return
    enqueue(
        "points_earned",
        payload["member_id"],
        f"points:{entry.id}",
        "points_earned",
        {"points": payload["delta"]},
        link("points"),
    )


def on_purchase_recorded(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    if payload.get("points", 0) <= 0 or _nobody_to_tell(payload["member_id"]):
        return
    # Purchase points are pending during the return window; the push says they were earned.
    enqueue(
        "points_earned",
        payload["member_id"],
        f"purchase:{payload['purchase_id']}",
        "points_earned",
        {"points": payload["points"]},
        link("points"),
    )


def on_tier_changed(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    up = payload.get("direction") != "down"
    enqueue(
        "tier_changed",
        payload["member_id"],
        f"tier:{uuid.uuid4().hex}",
        "tier_up" if up else "tier_down",
        {"tier_code": payload["new_tier"]},
        link("tier"),
    )


def _game_name(payload: dict[str, Any]) -> Any:
    # A name as one string or as {"en": ..., "fi": ...}; localized when the job runs.
    return payload.get("name") or payload.get("title")


def on_challenge_completed(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    ref = payload.get("challenge_id") or payload.get("id")
    enqueue(
        "challenge_completed",
        payload["member_id"],
        f"challenge:{ref}:{payload.get('window') or ''}"
        if ref
        else f"challenge:{uuid.uuid4().hex}",
        "challenge_completed",
        {"name": _game_name(payload)},
        link(f"challenges/{ref}" if ref else "challenges"),
    )


def on_contest_won(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    ref = payload.get("contest_id") or payload.get("id")
    enqueue(
        "contest_won",
        payload["member_id"],
        f"contest:{ref}" if ref else f"contest:{uuid.uuid4().hex}",
        "contest_won",
        {"name": _game_name(payload)},
        link(f"contests/{ref}" if ref else "contests"),
    )


def on_survey_invited(payload: dict[str, Any]) -> None:
    """A purchase brought a survey: "rate your visit to Kamppi"."""
    if not enabled():
        return
    survey_id = payload["survey_id"]
    enqueue(
        "survey_invitation",
        payload["member_id"],
        f"survey:{survey_id}",
        "survey_invitation",
        {"name": payload.get("name"), "store": payload.get("store") or ""},
        link(f"surveys/{survey_id}"),
        dedupe_key=f"push.survey:{survey_id}:{payload['member_id']}",
    )


def on_referral_joined(payload: dict[str, Any]) -> None:
    """A friend joined with the member's code (no name: the friend's data stays theirs)."""
    if not enabled():
        return
    referral_id = payload["referral_id"]
    enqueue(
        "referrals",
        payload["member_id"],
        f"referral:{referral_id}:joined",
        "referral_joined",
        {},
        link("referrals"),
    )


def on_referral_rewarded(payload: dict[str, Any]) -> None:
    """The hold after the friend's first purchase has passed: the reward is the member's."""
    if not enabled():
        return
    points = payload.get("points") or 0
    enqueue(
        "referrals",
        payload["member_id"],
        f"referral:{payload['referral_id']}:rewarded",
        "referral_rewarded" if points else "referral_reward_granted",
        {"points": points},
        link("referrals"),
    )


def on_poll_winner(payload: dict[str, Any]) -> None:
    """A poll the member voted in has closed: the winner."""
    if not enabled():
        return
    poll_id = payload["poll_id"]
    enqueue(
        "poll_result",
        payload["member_id"],
        f"poll:{poll_id}",
        "poll_winner",
        {"name": payload.get("name"), "winner": payload.get("winner")},
        link(f"polls/{poll_id}"),
        dedupe_key=f"push.poll:{poll_id}:{payload['member_id']}",
    )


def on_waitlist_promoted(payload: dict[str, Any]) -> None:
    """A seat freed up and went to the member, first on the waitlist."""
    if not enabled():
        return
    rsvp_id = payload["rsvp_id"]
    enqueue(
        "event_waitlist",
        payload["member_id"],
        f"rsvp:{rsvp_id}:{uuid.uuid4().hex[:8]}",
        "waitlist_promoted",
        {"name": payload.get("name")},
        link(f"events/{payload['event_id']}"),
    )


def on_member_ended(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    db.session.execute(
        Device.__table__.update()
        .where(Device.member_id == payload["member_id"], Device.active)
        .values(active=False, deactivated_reason="membership_ended")
    )


def subscribe() -> None:
    events.subscribe(events.POINTS_CHANGED, on_points_changed)
    events.subscribe(events.PURCHASE_RECORDED, on_purchase_recorded)
    events.subscribe(events.TIER_CHANGED, on_tier_changed)
    events.subscribe(events.MEMBER_ENDED, on_member_ended)
    events.subscribe(CHALLENGE_COMPLETED, on_challenge_completed)
    events.subscribe(CONTEST_WON, on_contest_won)
    events.subscribe(SURVEY_INVITED, on_survey_invited)
    events.subscribe(POLL_WINNER, on_poll_winner)
    events.subscribe(WAITLIST_PROMOTED, on_waitlist_promoted)
    events.subscribe(REFERRAL_JOINED, on_referral_joined)
    events.subscribe(REFERRAL_REWARDED, on_referral_rewarded)
