"""Surveys that follow a purchase ("rate your visit to Kamppi"), on the purchase path.

The subscriber runs inside every purchase's transaction, so it must cost nothing when no
purchase-triggered survey is live: the live ones are cached per app process for
COMMUNITY_TRIGGER_CACHE_SECONDS (one indexed query refreshes them), and an admin's change
drops the cache of the process that made it. With no match, the purchase sees no query at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import exists, select

from app.extensions import db
from app.members.models import Member
from app.models_base import utcnow
from app.stores.models import Store
from community import pushes, state
from community.eligibility import is_eligible
from community.surveys.models import Survey, SurveyInvitation, SurveyResponse

_KEY = "survey_triggers"


@dataclass(frozen=True)
class Trigger:
    survey_id: int
    public_id: str
    starts_at: datetime
    ends_at: datetime
    store_ids: frozenset[str]
    title: dict


def _load(now: datetime) -> list[Trigger]:
    rows = db.session.scalars(
        select(Survey).where(Survey.trigger == "purchase", Survey.active, Survey.ends_at > now)
    )
    return [
        Trigger(s.id, s.public_id, s.starts_at, s.ends_at, frozenset(s.trigger_store_ids), s.title)
        for s in rows
    ]


def live(now: datetime) -> list[Trigger]:
    cached = state.store().get(_KEY)
    ttl = current_app.config["COMMUNITY_TRIGGER_CACHE_SECONDS"]
    if cached is None or time.monotonic() - cached[0] >= ttl:
        cached = (time.monotonic(), _load(now))
        state.store()[_KEY] = cached
    return [t for t in cached[1] if t.starts_at <= now < t.ends_at]


def changed() -> None:
    """A survey was saved: this process reads the triggers again at the next purchase."""
    if state.enabled():
        state.store().pop(_KEY, None)


def on_purchase_recorded(payload: dict[str, Any]) -> None:
    if not state.enabled():
        return
    now = utcnow()
    store_id = payload.get("store_id")
    matching = [t for t in live(now) if not t.store_ids or store_id in t.store_ids]
    if not matching:
        return
    member = db.session.get(Member, payload["member_id"])
    store_row, store_name = db.session.execute(
        select(Store.id, Store.name).where(Store.public_id == store_id)
    ).one()
    for trigger in matching:
        seen = db.session.scalar(
            select(
                exists().where(
                    SurveyInvitation.survey_id == trigger.survey_id,
                    SurveyInvitation.member_id == member.id,
                )
                | exists().where(
                    SurveyResponse.survey_id == trigger.survey_id,
                    SurveyResponse.member_id == member.id,
                )
            )
        )
        if seen or not is_eligible(db.session.get(Survey, trigger.survey_id), member):
            continue
        # The purchase holds the member's row lock: two purchases of one member take turns,
        # so the second sees the first's invitation.
        db.session.add(
            SurveyInvitation(
                survey_id=trigger.survey_id,
                member_id=member.id,
                purchase_id=payload["purchase_id"],
                store_id=store_row,
            )
        )
        db.session.flush()
        pushes.publish(
            pushes.SURVEY_INVITED,
            {
                "member_id": member.id,
                "survey_id": trigger.public_id,
                "name": trigger.title,
                "store": store_name,
                "purchase_id": payload["purchase_id"],
            },
        )
