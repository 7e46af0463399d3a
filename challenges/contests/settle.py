"""Closing contests and settling them: prizes decided on what can no longer be refunded, and
paid once.

A contest is `open` while it runs, `settling` once it has ended but something it counted can
still be refunded, and `closed` once its prizes are decided and paid. Each step is one
conditional update (`open -> settling` at `ends_at`, `settling -> closed` at `settles_at`):
whoever's update changed the row acts, any other closer changes nothing and pays nothing.
Ledger keys per (contest, rank) make a replay a no-op besides.

At the close, `settles_at` becomes the end of the latest return window among what the contest
counted (pending purchase points and held challenge rewards for a points-earned board, held
challenge completions for a challenges-completed board, the purchases behind a sweepstakes'
entries); with nothing pending the contest settles at once. At the settle, the members
deciding the prizes are locked (the ledger's lock order: member first), so a refund racing the
settle is either seen by it or comes after it and changes nothing. Ended memberships win
nothing: the prize goes to the next eligible member (everyone below moves up a rank; the draw
is made without their entries).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update

from app import events
from app.errors import ApiError
from app.extensions import db
from app.ledger.models import LedgerEntry, PointLot
from app.ledger.service import award_points, lock_member
from app.members.models import Member
from app.models_base import utcnow
from app.purchases.models import Purchase
from app.rewards import service as rewards
from challenges.badges import service as badges
from challenges.common import default_language
from challenges.contests import boards, service
from challenges.contests.models import (
    CLOSED,
    OPEN,
    SETTLING,
    Contest,
    ContestEntry,
    ContestPrize,
    ContestStanding,
)
from challenges.missions.models import ChallengeCompletion
from challenges.rules import draw
from challenges.rules.prizes import award_prizes, prize_idempotency_key
from challenges.texts import localize

log = logging.getLogger(__name__)

# Published for each prize paid (push notifications listen).
CONTEST_WON = "contest.won"


def close_now(public_id: str) -> tuple[Contest, bool]:
    """An admin closes a contest whose end has passed, rather than waiting for the scheduled
    job, or settles a settling one whose `settles_at` has passed: (the contest as it is now,
    whether this call moved it on)."""
    contest = service.contest_by_id(public_id)
    if contest.status == OPEN and contest.ends_at > utcnow():
        raise ApiError(409, "contest_running", "The contest has not ended yet.")
    if contest.status == OPEN:
        moved = close(contest.id)
    elif contest.status == SETTLING:
        moved = settle(contest.id)
    else:
        moved = False
    db.session.expire_all()
    return service.contest_by_id(public_id), moved


def close_due(now: datetime | None = None) -> list[str]:
    """Close every contest whose end has passed and settle every one whose `settles_at` has;
    returns the public ids whose status this call moved on."""
    now = now or utcnow()
    due = list(
        db.session.execute(
            select(Contest.id, Contest.public_id, Contest.status).where(
                or_(
                    and_(Contest.status == OPEN, Contest.ends_at <= now),
                    and_(Contest.status == SETTLING, Contest.settles_at <= now),
                )
            )
        )
    )
    db.session.rollback()
    moved = []
    for contest_id, public_id, status in due:
        try:
            if (close if status == OPEN else settle)(contest_id, now):
                moved.append(public_id)
        except Exception:
            db.session.rollback()
            log.exception("closing contest %s failed; it is retried at the next run", public_id)
    return moved


def close(contest_id: int, now: datetime | None = None) -> bool:
    """End one contest's play, in one transaction: prizes are paid at once when nothing it
    counted can still be refunded, else it settles at the end of the last return window.
    False if it was not due or another closer got there first."""
    now = now or utcnow()
    won = db.session.execute(
        update(Contest)
        .where(Contest.id == contest_id, Contest.status == OPEN, Contest.ends_at <= now)
        .values(status=SETTLING, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        db.session.rollback()
        return False
    contest = _reloaded(contest_id)
    hold = held_until(contest, now)
    if hold is None:
        _decide(contest, now)
    else:
        contest.settles_at = hold
        service.schedule_close(contest)
    db.session.commit()
    return True


def settle(contest_id: int, now: datetime | None = None) -> bool:
    """Decide and pay the prizes of a settling contest whose `settles_at` has passed, in one
    transaction; False if it was not due, another settler got there first, or something it
    counted turned out to be refundable still (then `settles_at` moves to its end)."""
    now = now or utcnow()
    won = db.session.execute(
        update(Contest)
        .where(Contest.id == contest_id, Contest.status == SETTLING, Contest.settles_at <= now)
        .values(status=CLOSED)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        db.session.rollback()
        return False
    contest = _reloaded(contest_id)
    # Looked at again: a purchase still being written at the close may have counted since.
    hold = held_until(contest, now)
    if hold is not None:
        contest.status, contest.settles_at = SETTLING, hold
        service.schedule_close(contest)
        db.session.commit()
        return False
    _decide(contest, now)
    db.session.commit()
    return True


def _reloaded(contest_id: int) -> Contest:
    return db.session.scalar(
        select(Contest).where(Contest.id == contest_id).execution_options(populate_existing=True)
    )


def held_until(contest: Contest, now: datetime) -> datetime | None:
    """The end of the latest return window among what the contest counted, if still ahead."""
    if contest.kind == "leaderboard" and contest.metric == "points_earned":
        members = select(ContestStanding.member_id).where(ContestStanding.contest_id == contest.id)
        stmt = (
            select(func.max(PointLot.available_at))
            .join(LedgerEntry, LedgerEntry.id == PointLot.entry_id)
            .where(
                PointLot.member_id.in_(members),
                ~PointLot.released,
                PointLot.remaining > 0,
                PointLot.available_at > now,
                LedgerEntry.kind.in_(("earn", "bonus")),
                LedgerEntry.created_at >= contest.starts_at,
                LedgerEntry.created_at < contest.ends_at,
            )
        )
    elif contest.kind == "leaderboard" and contest.metric == "challenges_completed":
        members = select(ContestStanding.member_id).where(ContestStanding.contest_id == contest.id)
        stmt = select(func.max(ChallengeCompletion.held_until)).where(
            ChallengeCompletion.member_id.in_(members),
            ChallengeCompletion.reversed_at.is_(None),
            ChallengeCompletion.held_until > now,
            ChallengeCompletion.recorded_at >= contest.starts_at,
            ChallengeCompletion.recorded_at < contest.ends_at,
        )
    elif contest.kind == "sweepstakes" and contest.entries_per_purchase:
        purchases = (
            select(Purchase.id)
            .join(ContestEntry, ContestEntry.source_ref == Purchase.public_id)
            .where(ContestEntry.contest_id == contest.id, ContestEntry.source == "purchase")
        )
        stmt = select(func.max(PointLot.available_at)).where(
            PointLot.purchase_id.in_(purchases),
            ~PointLot.released,
            PointLot.remaining > 0,
            PointLot.available_at > now,
        )
    else:
        return None
    return db.session.scalar(stmt)


def _decide(contest: Contest, now: datetime) -> None:
    contest.status, contest.settles_at = CLOSED, now
    table = service.prize_table(contest)
    if contest.kind == "leaderboard":
        for award in award_prizes(table, _final_standings(contest, table.last_rank)):
            _pay(contest, award.rank, award.member_id, score=award.score)
    else:
        _lock_members(select(ContestEntry.member_id).where(ContestEntry.contest_id == contest.id))
        # Entries of memberships that ended are not drawn, nor published with the draw.
        db.session.execute(
            delete(ContestEntry)
            .where(
                ContestEntry.contest_id == contest.id,
                ContestEntry.member_id.in_(select(Member.id).where(Member.ended_at.is_not(None))),
            )
            .execution_options(synchronize_session=False)
        )
        _draw(contest, table.last_rank)


def _final_standings(contest: Contest, n: int) -> list[boards.Standing]:
    """The top `n` eligible standings, read again until every member in them is locked: a
    refund that holds one of them finishes first and is seen; one that comes later waits for
    this transaction and then finds the contest closed. Only those near the top are locked:
    anyone else's score can only go down while settling."""
    locked: set[int] = set()
    while True:
        top = boards.final_top(contest, n)
        wanted = {s.member_id for s in top} - locked
        if not wanted:
            return top
        _lock_members(sorted(wanted))
        locked |= wanted


def _lock_members(ids: Any) -> None:
    """Lock members' rows in id order (the order every multi-member lock takes)."""
    db.session.execute(
        select(Member.id)
        .where(Member.id.in_(ids))
        .order_by(Member.id)
        .with_for_update(of=Member, key_share=True)
    ).all()


def _draw(contest: Contest, places: int) -> None:
    rows = db.session.execute(
        select(ContestEntry.public_id, Member.public_id, Member.id)
        .join(Member, Member.id == ContestEntry.member_id)
        .where(ContestEntry.contest_id == contest.id)
    ).all()
    member_ids = {public: internal for _, public, internal in rows}
    result = draw.draw_winners(
        bytes.fromhex(contest.seed or ""),
        [draw.Entry(entry_id, holder) for entry_id, holder, _ in rows],
        places,
        one_prize_per_holder=contest.one_prize_per_holder,
    )
    contest.draw = {
        "algorithm": result.algorithm,
        "commitment": result.commitment,
        "seed": result.seed,
        "entry_digest": result.entry_digest,
        "entry_count": result.entry_count,
        "places": result.places,
        "one_prize_per_holder": result.one_prize_per_holder,
        "winners": [
            {"place": w.place, "entry_id": w.entry_id, "holder_id": w.holder_id}
            for w in result.winners
        ],
        "instructions": draw.recompute_instructions(result),
    }
    for w in result.winners:
        if service.band(contest, w.place) is not None:
            _pay(contest, w.place, member_ids[w.holder_id], entry_id=w.entry_id)


def _pay(
    contest: Contest,
    rank: int,
    member_id: int,
    *,
    score: int | None = None,
    entry_id: str | None = None,
) -> None:
    band = service.band(contest, rank)
    assert band is not None
    # The member before anything else of theirs: the core's reward and ledger paths lock the
    # member first, and taking a reward's stock (or a badge) first could deadlock with them.
    lock_member(member_id)
    prize = ContestPrize(
        contest_id=contest.id,
        member_id=member_id,
        rank=rank,
        score=score,
        entry_public_id=entry_id,
        points=band.get("points") or 0,
    )
    name = localize(contest.name, "en", default_language())
    if prize.points:
        award_points(
            member_id,
            prize.points,
            idempotency_key=prize_idempotency_key(contest.public_id, rank),
            kind="bonus",
            reason=f"Contest prize #{rank}: {name}"[:200],
            reference_type="contest",
            reference_id=contest.public_id,
        )
    badge = badges.badge_by_code(band.get("badge_code"))
    if badge is not None:
        prize.badge_id = badge.id
        badges.grant(member_id, badge.id, f"contest:{contest.public_id}:{rank}")
    if band.get("reward_id"):
        reward = service.reward_by_id(band["reward_id"])
        if reward is not None:
            prize.reward_id = reward.id
            granted = rewards.grant(member_id, reward, f"Contest prize #{rank}: {name}"[:200])
            prize.redemption_code = granted.code if granted else None
    db.session.add(prize)
    db.session.flush()
    events.publish(
        db.session,
        CONTEST_WON,
        {
            "member_id": member_id,
            "contest_id": contest.public_id,
            "contest_name": contest.name,
            "rank": rank,
            "points": prize.points,
        },
    )
