"""Contests on the events of the core and of the other games: scores and entries, in the
transaction of whatever happened.

A points-earned board counts earning and bonuses while the contest runs and takes back, up to
its settle, what a refund reverses of points earned during it; a quiz board counts correct
answers; a challenges board completed challenges (and loses a completion a refund took back).
A sweepstakes gives entries per purchase (one that earned something) and per quiz, and a fully
refunded purchase loses its entries. An ended membership leaves every board and draw not yet
settled, in the transaction that ends it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.members.models import Member
from app.models_base import utcnow
from challenges import live
from challenges.common import earned_something, enabled
from challenges.contests import boards
from challenges.contests.models import LIVE, OPEN, Contest, ContestEntry, ContestStanding
from challenges.eligibility import is_eligible

# What a "points earned" contest counts: earning and bonuses, minus refund reversals. A release
# (pending -> available) earns nothing new; redeeming, expiry and admin fixes are not earning.
EARNING_KINDS = frozenset({"earn", "bonus", "reverse"})


def running(kind: str, now: datetime, **where: Any) -> list[Contest]:
    if not live.may_be_running(kind, now, **where):
        return []  # known from the settings cache: a purchase reads no contest
    stmt = select(Contest).where(
        Contest.kind == kind,
        Contest.status == OPEN,
        Contest.starts_at <= now,
        Contest.ends_at > now,
    )
    return _filtered(stmt, where)


def taking_back(kind: str, now: datetime, **where: Any) -> list[Contest]:
    """Contests begun and not yet settled: what a refund reverses still leaves them."""
    if not live.may_be_taking_back(kind, now, **where):
        return []
    stmt = select(Contest).where(
        Contest.kind == kind, Contest.status.in_(LIVE), Contest.starts_at <= now
    )
    return _filtered(stmt, where)


def _filtered(stmt: Any, where: dict[str, Any]) -> list[Contest]:
    for field, value in where.items():
        column = getattr(Contest, field)
        stmt = stmt.where(column > 0 if value is True else column == value)
    return list(db.session.scalars(stmt))


def _during(contest: Contest, at: datetime) -> bool:
    return contest.starts_at <= at < contest.ends_at


def on_points_changed(payload: dict[str, Any]) -> None:
    if not enabled() or payload.get("kind") not in EARNING_KINDS or not payload.get("delta"):
        return
    now = utcnow()
    delta = int(payload["delta"])
    if delta < 0:
        _take_back_points(payload["member_id"], delta, now)
        return
    contests = running("leaderboard", now, metric="points_earned")
    if contests:
        member = db.session.get(Member, payload["member_id"])
        if member.ended_at is not None:
            return
        for contest in contests:
            if is_eligible(contest, member):
                boards.add_score(contest, member.id, delta, now)


def _take_back_points(member_id: int, delta: int, now: datetime) -> None:
    """A reversal lowers the boards that counted what it reverses: those during which the
    points it refers to were earned, up to their settle (never boards that did not count
    them, e.g. a refund after the contest of a purchase made after it)."""
    contests = taking_back("leaderboard", now, metric="points_earned")
    if not contests:
        return
    # The ledger holds the member's lock: the latest reversal is the one being published.
    reversal = db.session.scalar(
        select(LedgerEntry)
        .where(LedgerEntry.member_id == member_id, LedgerEntry.kind == "reverse")
        .order_by(LedgerEntry.id.desc())
        .limit(1)
    )
    if reversal is None:
        return
    earned_at = list(
        db.session.scalars(
            select(LedgerEntry.created_at).where(
                LedgerEntry.member_id == member_id,
                LedgerEntry.kind.in_(("earn", "bonus")),
                LedgerEntry.reference_type == reversal.reference_type,
                LedgerEntry.reference_id == reversal.reference_id,
            )
        )
    )
    for contest in contests:
        if any(_during(contest, at) for at in earned_at):
            boards.add_score(contest, member_id, delta, now)


def on_quiz_completed(member: Member, attempt_id: str, correct: int, at: datetime) -> None:
    if not enabled():
        return
    if correct:
        for contest in running("leaderboard", at, metric="quiz_score"):
            if is_eligible(contest, member):
                boards.add_score(contest, member.id, correct, at)
    for contest in running("sweepstakes", at, entries_per_quiz=True):
        _earn_entries(contest, member, "quiz", attempt_id, contest.entries_per_quiz)


def on_challenge_completed(member: Member, ref: str, at: datetime) -> None:
    if not enabled():
        return
    now = utcnow()
    for contest in running("leaderboard", now, metric="challenges_completed"):
        if is_eligible(contest, member):
            boards.add_score(contest, member.id, 1, max(at, contest.starts_at))


def on_challenge_reversed(member: Member, recorded_at: datetime) -> None:
    """A refund took back a held completion: the boards that counted it lose its point."""
    if not enabled():
        return
    for contest in taking_back("leaderboard", utcnow(), metric="challenges_completed"):
        if _during(contest, recorded_at):
            boards.add_score(contest, member.id, -1, recorded_at)


def on_purchase_recorded(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    contests = running("sweepstakes", utcnow(), entries_per_purchase=True)
    if contests and earned_something(payload["purchase_id"]):
        member = db.session.get(Member, payload["member_id"])
        for contest in contests:
            _earn_entries(
                contest, member, "purchase", payload["purchase_id"], contest.entries_per_purchase
            )


def on_purchase_refunded(payload: dict[str, Any]) -> None:
    """A fully refunded purchase loses its entries in draws not yet made."""
    if not enabled() or not payload.get("fully_refunded"):
        return
    db.session.execute(
        delete(ContestEntry)
        .where(
            ContestEntry.source == "purchase",
            ContestEntry.source_ref == payload["purchase_id"],
            ContestEntry.member_id == payload["member_id"],
            ContestEntry.contest_id.in_(select(Contest.id).where(Contest.status.in_(LIVE))),
        )
        .execution_options(synchronize_session=False)
    )


def on_member_ended(payload: dict[str, Any]) -> None:
    """An ended membership leaves every board and draw not yet settled, in the transaction
    that ends it: it can win nothing, and its prize goes to the next eligible member."""
    if not enabled():
        return
    # The ending's update takes the member's row lock, which the settle's lock waits for.
    db.session.flush()
    member_id = payload["member_id"]
    live = select(Contest.id).where(Contest.status.in_(LIVE))
    boards.remove_member(
        list(
            db.session.scalars(
                select(Contest)
                .join(ContestStanding, ContestStanding.contest_id == Contest.id)
                .where(Contest.status.in_(LIVE), ContestStanding.member_id == member_id)
            )
        ),
        member_id,
    )
    db.session.execute(
        delete(ContestEntry)
        .where(ContestEntry.member_id == member_id, ContestEntry.contest_id.in_(live))
        .execution_options(synchronize_session=False)
    )


def _earn_entries(contest: Contest, member: Member, source: str, ref: str, count: int) -> None:
    if member.ended_at is not None or not is_eligible(contest, member):
        return
    first = f"{source}:{ref}:0"
    seen = db.session.scalar(
        select(ContestEntry.id).where(
            ContestEntry.contest_id == contest.id, ContestEntry.dedupe_key == first
        )
    )
    if seen is not None:
        return  # the same action delivered twice
    try:
        with db.session.begin_nested():
            for n in range(count):
                db.session.add(
                    ContestEntry(
                        contest_id=contest.id,
                        member_id=member.id,
                        source=source,
                        source_ref=ref,
                        dedupe_key=f"{source}:{ref}:{n}",
                    )
                )
    except IntegrityError:
        return
