"""Contests: leaderboards over a window and sweepstakes with a verifiable draw.

A contest is `open` while it runs, `settling` once it has ended but something it counted can
still be refunded, and `closed` once its prizes are decided and paid. Each step is one
conditional update (`open -> settling` at `ends_at`, `settling -> closed` at `settles_at`):
whoever's update changed the row acts, any other closer changes nothing and pays nothing.
Ledger keys per (contest, rank) make a replay a no-op besides.

Prizes are decided on what can no longer be refunded. At the close, `settles_at` becomes the
end of the latest return window among what the contest counted (pending purchase points and
held challenge rewards for a points-earned board, held challenge completions for a
challenges-completed board, the purchases behind a sweepstakes' entries); with nothing pending
the contest settles at once. While it settles, scores and entries only go down: a refund takes
back what it reverses of points earned during the contest, a reversed challenge completion
its point, a fully refunded purchase its entries. At the settle, the members deciding the
prizes are locked (the ledger's lock order: member first), so a refund racing the settle is
either seen by it or comes after it and changes nothing.

Ended memberships win nothing: their standings and entries are removed when the membership
ends, and the settle skips any it still finds. The prize then goes to the next eligible member
(everyone below moves up a rank; the draw is made without their entries).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app import events, outbox
from app.errors import ApiError, not_found
from app.extensions import db
from app.ledger.models import LedgerEntry, PointLot
from app.ledger.service import award_points, lock_member
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.purchases.models import Purchase
from app.rewards import service as rewards
from app.rewards.models import Reward
from challenges.badges import service as badges
from challenges.badges.models import Badge
from challenges.common import default_language, earned_something, enabled, require_eligible
from challenges.contests import boards
from challenges.contests.models import Contest, ContestEntry, ContestPrize, ContestStanding
from challenges.eligibility import is_eligible
from challenges.missions.models import ChallengeCompletion
from challenges.rules import draw
from challenges.rules.prizes import PrizeBand, PrizeTable, award_prizes, prize_idempotency_key
from challenges.texts import localize

log = logging.getLogger(__name__)

METRICS = ("points_earned", "quiz_score", "challenges_completed")
# What a "points earned" contest counts: earning and bonuses, minus refund reversals. A release
# (pending -> available) earns nothing new; redeeming, expiry and admin fixes are not earning.
EARNING_KINDS = frozenset({"earn", "bonus", "reverse"})
OPEN, SETTLING, CLOSED = "open", "settling", "closed"
# Where refunds still take back what they reverse.
LIVE = (OPEN, SETTLING)
TIE_RULE = (
    "Higher score ranks first; on equal scores, whoever reached the score first ranks first; "
    "at the same microsecond, the member who joined the program first. Ranks are never shared."
)
CLOSE_TOPIC = "games.close_contest"


# Definition.


# Published for each prize paid (push notifications listen).
CONTEST_WON = "contest.won"


def prize_table(contest: Contest) -> PrizeTable:
    return PrizeTable(
        tuple(
            PrizeBand(
                b["first_rank"],
                b["last_rank"],
                b.get("points") or 0,
                b.get("badge_code") or b.get("reward_id"),
            )
            for b in contest.prizes
        ),
        min_score=contest.min_score,
    )


def _band(contest: Contest, rank: int) -> dict | None:
    for b in contest.prizes:
        if b["first_rank"] <= rank <= b["last_rank"]:
            return b
    return None


def check(contest: Contest) -> None:
    def invalid(code: str, message: str) -> ApiError:
        return ApiError(422, code, message)

    if contest.ends_at <= contest.starts_at:
        raise invalid("validation_error", "`ends_at` must be after `starts_at`.")
    if contest.kind == "leaderboard" and contest.metric not in METRICS:
        raise invalid("validation_error", f"A leaderboard needs a metric: {', '.join(METRICS)}.")
    if contest.kind == "sweepstakes":
        if contest.metric:
            raise invalid("validation_error", "A sweepstakes has no metric.")
        if not (contest.free_entry or contest.entries_per_purchase or contest.entries_per_quiz):
            raise invalid("validation_error", "A sweepstakes needs some way to enter.")
    if not contest.prizes:
        raise invalid("invalid_prizes", "A contest needs at least one prize.")
    try:
        prize_table(contest)
    except ValueError as exc:
        raise invalid("invalid_prizes", str(exc).capitalize() + ".") from exc
    for band in contest.prizes:
        if band.get("badge_code") and badges.badge_by_code(band["badge_code"]) is None:
            raise invalid("invalid_prizes", f"Unknown badge {band['badge_code']}.")
        if band.get("reward_id") and _reward(band["reward_id"]) is None:
            raise invalid("invalid_prizes", f"Unknown reward {band['reward_id']}.")


def _reward(public_id: str) -> Reward | None:
    return db.session.scalar(select(Reward).where(Reward.public_id == public_id))


def create(data: dict[str, Any]) -> Contest:
    contest = Contest(**data)
    if contest.ends_at <= utcnow():
        raise ApiError(422, "validation_error", "`ends_at` must be in the future.")
    if contest.kind == "sweepstakes":
        # The commitment is public from the start; the seed stays here until the draw.
        seed = draw.new_seed()
        contest.seed = seed.hex()
        contest.commitment = draw.commitment(seed)
    check(contest)
    db.session.add(contest)
    db.session.flush()
    schedule_close(contest)
    return contest


def update_contest(contest: Contest, changes: dict[str, Any]) -> Contest:
    if contest.status != OPEN:
        raise ApiError(409, "contest_closed", "A closed contest cannot change.")
    if contest.kind == "sweepstakes" and contest.starts_at <= utcnow():
        locked = {"prizes", "one_prize_per_holder"} & changes.keys()
        if locked:
            raise ApiError(
                409, "contest_running", f"Cannot change {', '.join(sorted(locked))} once open."
            )
    now = utcnow()
    if changes.get("starts_at") not in (None, contest.starts_at) and contest.starts_at <= now:
        raise ApiError(409, "contest_running", "Cannot change starts_at once open.")
    if changes.get("ends_at") is not None and changes["ends_at"] < now:
        # What was counted while it ran stays counted (and can still be refunded): a contest
        # ends now at the earliest, never before scores it already has.
        changes = changes | {"ends_at": now}
    ends_before = contest.ends_at
    for field, value in changes.items():
        setattr(contest, field, value)
    check(contest)
    if contest.ends_at != ends_before:
        schedule_close(contest)
    return contest


def schedule_close(contest: Contest) -> None:
    """An outbox job due at the contest's end (or, settling, at `settles_at`); beat's periodic
    sweep is the backstop."""
    due = contest.settles_at if contest.status == SETTLING and contest.settles_at else None
    delay = max(0.0, ((due or contest.ends_at) - utcnow()).total_seconds())
    outbox.enqueue(CLOSE_TOPIC, {"contest_id": contest.public_id}, delay_seconds=delay)


def running(kind: str, now: datetime, **where: Any) -> list[Contest]:
    stmt = select(Contest).where(
        Contest.kind == kind,
        Contest.status == OPEN,
        Contest.starts_at <= now,
        Contest.ends_at > now,
    )
    return _filtered(stmt, where)


def taking_back(kind: str, now: datetime, **where: Any) -> list[Contest]:
    """Contests begun and not yet settled: what a refund reverses still leaves them."""
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


# Event handlers (inside the transaction of whatever happened).


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


# Member actions.


def get_open_to(member: Member, public_id: str) -> Contest:
    contest = db.session.scalar(select(Contest).where(Contest.public_id == public_id))
    if contest is None:
        raise not_found("contest")
    require_eligible(contest, member)
    return contest


def free_entry(member: Member, public_id: str, now: datetime | None = None) -> ContestEntry:
    now = now or utcnow()
    contest = get_open_to(member, public_id)
    ensure_active(member)
    if contest.kind != "sweepstakes":
        raise ApiError(409, "not_a_sweepstakes", "Only a sweepstakes takes entries.")
    # FOR SHARE: an entry is either in before a closer's update of the row or sees the close
    # (nothing else is locked here, so waiting cannot deadlock).
    contest = db.session.scalar(
        select(Contest)
        .where(Contest.id == contest.id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if contest.status != OPEN or not contest.starts_at <= now < contest.ends_at:
        raise ApiError(
            409,
            "outside_window",
            "Entries are taken only while the contest runs.",
            {"starts_at": contest.starts_at.isoformat(), "ends_at": contest.ends_at.isoformat()},
        )
    if not contest.free_entry:
        raise ApiError(409, "free_entry_not_offered", "This sweepstakes has no free entry.")
    key = f"free:{member.id}"
    taken = db.session.scalar(
        select(ContestEntry.id).where(
            ContestEntry.contest_id == contest.id, ContestEntry.dedupe_key == key
        )
    )
    entry = ContestEntry(
        contest_id=contest.id, member_id=member.id, source="free", dedupe_key=key, created_at=now
    )
    if taken is None:
        try:
            with db.session.begin_nested():
                db.session.add(entry)
            return entry
        except IntegrityError:
            pass
    raise ApiError(409, "already_entered", "You already have your free entry.")


def entry_count(contest: Contest, member_id: int | None = None) -> int:
    stmt = select(func.count(ContestEntry.id)).where(ContestEntry.contest_id == contest.id)
    if member_id is not None:
        stmt = stmt.where(ContestEntry.member_id == member_id)
    return db.session.scalar(stmt)


# Closing.


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
        schedule_close(contest)
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
        schedule_close(contest)
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
    table = prize_table(contest)
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
        if _band(contest, w.place) is not None:
            _pay(contest, w.place, member_ids[w.holder_id], entry_id=w.entry_id)


def _pay(
    contest: Contest,
    rank: int,
    member_id: int,
    *,
    score: int | None = None,
    entry_id: str | None = None,
) -> None:
    band = _band(contest, rank)
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
        reward = _reward(band["reward_id"])
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


# Views.


@dataclass(frozen=True)
class _Lookups:
    """What member views of several contests refer to, each loaded in one query for all."""

    badges: dict[str, Badge]  # by code
    rewards: dict[str, Reward]  # by public id
    your_entries: dict[int, int]  # contest id -> the member's entries


def _lookups(contests: Sequence[Contest], member: Member) -> _Lookups:
    bands = [b for c in contests for b in c.prizes]
    reward_ids = {b["reward_id"] for b in bands if b.get("reward_id")}
    rewards_by_id = (
        {
            r.public_id: r
            for r in db.session.scalars(select(Reward).where(Reward.public_id.in_(reward_ids)))
        }
        if reward_ids
        else {}
    )
    sweepstakes = [c.id for c in contests if c.kind == "sweepstakes"]
    entries = (
        dict(
            db.session.execute(
                select(ContestEntry.contest_id, func.count(ContestEntry.id))
                .where(
                    ContestEntry.contest_id.in_(sweepstakes),
                    ContestEntry.member_id == member.id,
                )
                .group_by(ContestEntry.contest_id)
            ).all()
        )
        if sweepstakes
        else {}
    )
    return _Lookups(badges.by_codes(b.get("badge_code") for b in bands), rewards_by_id, entries)


def _prizes_view(contest: Contest, language: str, default: str, lookups: _Lookups) -> list[dict]:
    out = []
    for b in contest.prizes:
        badge = lookups.badges.get(b["badge_code"]) if b.get("badge_code") else None
        reward = lookups.rewards.get(b["reward_id"]) if b.get("reward_id") else None
        out.append(
            {
                "first_rank": b["first_rank"],
                "last_rank": b["last_rank"],
                "points": b.get("points") or 0,
                "badge": badges.badge_body(badge, language, default) if badge else None,
                "reward": {"id": reward.public_id, "name": reward.name} if reward else None,
            }
        )
    return out


def member_view(contest: Contest, member: Member, lookups: _Lookups | None = None) -> dict:
    """A contest as the member sees it; lists pass `lookups` made once for all their contests."""
    if lookups is None:
        lookups = _lookups([contest], member)
    default = default_language()
    lang = member.language
    body: dict[str, Any] = {
        "id": contest.public_id,
        "kind": contest.kind,
        "name": localize(contest.name, lang, default),
        "description": localize(contest.description, lang, default),
        "starts_at": contest.starts_at.isoformat(),
        "ends_at": contest.ends_at.isoformat(),
        "status": contest.status,
        # While settling: when the prizes are decided (the last counted return window's end).
        "settles_at": _iso(contest.settles_at),
        "prizes": _prizes_view(contest, lang, default, lookups),
    }
    if contest.kind == "leaderboard":
        body |= {"metric": contest.metric, "min_score": contest.min_score, "tie_rule": TIE_RULE}
    else:
        body |= {
            "commitment": contest.commitment,
            "free_entry": contest.free_entry,
            "entries_per_purchase": contest.entries_per_purchase,
            "entries_per_quiz": contest.entries_per_quiz,
            "one_prize_per_holder": contest.one_prize_per_holder,
            "your_entries": lookups.your_entries.get(contest.id, 0),
        }
    return body


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def listing(member: Member, now: datetime | None = None) -> list[dict]:
    """Running contests, and those settling (ended, results to come)."""
    now = now or utcnow()
    contests = [
        c
        for c in db.session.scalars(
            select(Contest)
            .where(
                or_(
                    and_(Contest.status == OPEN, Contest.starts_at <= now, Contest.ends_at > now),
                    Contest.status == SETTLING,
                )
            )
            .order_by(Contest.ends_at, Contest.id)
        )
        if is_eligible(c, member)
    ]
    lookups = _lookups(contests, member)
    return [member_view(c, member, lookups) for c in contests]


def _display_name(name: str) -> str:
    # Others see "Aino V.", never a full name.
    parts = name.split()
    if not parts:
        return "?"
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


def leaderboard_view(contest: Contest, member: Member, limit: int) -> dict:
    if contest.kind != "leaderboard":
        raise ApiError(409, "not_a_leaderboard", "This contest has no leaderboard.")
    top, backend = boards.top(contest, limit)
    names = dict(
        db.session.execute(
            select(Member.id, Member.name).where(Member.id.in_([s.member_id for s in top]))
        ).all()
    )
    mine = boards.rank(contest, member.id)
    return {
        "contest_id": contest.public_id,
        "status": contest.status,
        "metric": contest.metric,
        "tie_rule": TIE_RULE,
        "backend": backend,
        "participants": boards.participants(contest),
        "top": [
            {
                "rank": s.rank,
                "score": s.score,
                "name": _display_name(names.get(s.member_id, "")),
                "is_you": s.member_id == member.id,
                "reached_at": s.reached_at.isoformat(),
            }
            for s in top
        ],
        "you": {"rank": mine.rank, "score": mine.score} if mine else None,
    }


def draw_view(contest: Contest, member: Member | None) -> dict:
    if contest.kind != "sweepstakes":
        raise ApiError(409, "not_a_sweepstakes", "This contest has no draw.")
    body: dict[str, Any] = {
        "contest_id": contest.public_id,
        "status": contest.status,
        "algorithm": draw.ALGORITHM,
        "commitment": contest.commitment,
        "drawn": contest.draw is not None,
        "entry_count": entry_count(contest),
        "your_entries": entry_count(contest, member.id) if member else None,
        "seed": None,
    }
    if contest.draw is None:
        return body
    d = contest.draw
    entries = db.session.execute(
        select(ContestEntry.public_id, Member.public_id)
        .join(Member, Member.id == ContestEntry.member_id)
        .where(ContestEntry.contest_id == contest.id)
        .order_by(ContestEntry.public_id)
    )
    body |= {
        "seed": d["seed"],
        "entry_digest": d["entry_digest"],
        "entry_count": d["entry_count"],
        "places": d["places"],
        "one_prize_per_holder": d["one_prize_per_holder"],
        "winners": d["winners"],
        "how_to_recompute": d["instructions"],
        "entries": [{"entry_id": e, "holder_id": h} for e, h in entries],
    }
    return body


def admin_view(contest: Contest) -> dict:
    prizes = db.session.execute(
        select(ContestPrize, Member.public_id)
        .join(Member, Member.id == ContestPrize.member_id)
        .where(ContestPrize.contest_id == contest.id)
        .order_by(ContestPrize.rank)
    ).all()
    badge_codes = dict(db.session.execute(select(Badge.id, Badge.code)).all()) if prizes else {}
    return {
        "id": contest.public_id,
        "code": contest.code,
        "kind": contest.kind,
        "name": contest.name,
        "description": contest.description,
        "starts_at": contest.starts_at.isoformat(),
        "ends_at": contest.ends_at.isoformat(),
        "status": contest.status,
        "closed_at": _iso(contest.closed_at),
        "settles_at": _iso(contest.settles_at),
        "metric": contest.metric,
        "prizes": contest.prizes,
        "min_score": contest.min_score,
        "one_prize_per_holder": contest.one_prize_per_holder,
        "free_entry": contest.free_entry,
        "entries_per_purchase": contest.entries_per_purchase,
        "entries_per_quiz": contest.entries_per_quiz,
        "commitment": contest.commitment,
        "tiers": contest.tiers,
        "member_ids": contest.member_ids,
        "segment_id": contest.segment_id,
        "awarded": [
            {
                "rank": p.rank,
                "member_id": member_public_id,
                "score": p.score,
                "entry_id": p.entry_public_id,
                "points": p.points,
                "badge_code": badge_codes.get(p.badge_id),
                "redemption_code": p.redemption_code,
            }
            for p, member_public_id in prizes
        ],
    }
