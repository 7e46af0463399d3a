"""Contests: leaderboards over a window and sweepstakes with a verifiable draw. Admins'
definitions, members' actions, and what members' views refer to.

Scores and entries come from events (`challenges.contests.subscribers`); closing, settling and
paying the prizes is `challenges.contests.settle`; the boards live in the database with a Redis
projection (`challenges.contests.boards`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from app import outbox
from app.errors import ApiError, not_found
from app.extensions import db
from app.lookup import by_public_id
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.rewards.models import Reward
from app.schemas import Augmented
from challenges.badges import service as badges
from challenges.badges.models import Badge
from challenges.common import check_code_free, check_eligibility, require_eligible
from challenges.contests import boards
from challenges.contests.models import (
    OPEN,
    SETTLING,
    Contest,
    ContestEntry,
    ContestPrize,
)
from challenges.eligibility import is_eligible
from challenges.rules import draw
from challenges.rules.prizes import PrizeBand, PrizeTable
from challenges.rules.standings import Standing

METRICS = ("points_earned", "quiz_score", "challenges_completed")
TIE_RULE = (
    "Higher score ranks first; on equal scores, whoever reached the score first ranks first; "
    "at the same microsecond, the member who joined the program first. Ranks are never shared."
)
CLOSE_TOPIC = "games.close_contest"


# Definition.


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


def band(contest: Contest, rank: int) -> dict | None:
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
        if band.get("reward_id") and reward_by_id(band["reward_id"]) is None:
            raise invalid("invalid_prizes", f"Unknown reward {band['reward_id']}.")


def reward_by_id(public_id: str) -> Reward | None:
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


def define(data: dict[str, Any]) -> Augmented:
    """An admin's new contest, committed; its admin view."""
    check_eligibility(data)
    check_code_free(Contest, data.get("code"))
    contest = create(data)
    db.session.commit()
    return with_awards(contest)


def contest_by_id(public_id: str, *, lock: bool = False) -> Contest:
    return by_public_id(Contest, public_id, "contest", lock=lock)


def change(public_id: str, changes: dict[str, Any]) -> Augmented:
    check_eligibility(changes)
    contest = update_contest(contest_by_id(public_id, lock=True), changes)
    db.session.commit()
    return with_awards(contest)


def latest(limit: int = 200) -> list[Augmented]:
    newest = db.session.scalars(select(Contest).order_by(Contest.id.desc()).limit(limit))
    return [with_awards(c) for c in newest]


def with_awards(contest: Contest) -> Augmented:
    """A contest as its admin sees it: with the prizes paid (`awarded`), winners by public id."""
    paid = db.session.execute(
        select(ContestPrize, Member.public_id)
        .join(Member, Member.id == ContestPrize.member_id)
        .where(ContestPrize.contest_id == contest.id)
        .order_by(ContestPrize.rank)
    ).all()
    return Augmented(contest, awarded=[Augmented(p, member_public_id=m) for p, m in paid])


# Member actions.


def get_open_to(member: Member, public_id: str) -> Contest:
    contest = db.session.scalar(select(Contest).where(Contest.public_id == public_id))
    if contest is None:
        raise not_found("contest")
    require_eligible(contest, member)
    return contest


def free_entry(member: Member, public_id: str, now: datetime | None = None) -> Augmented:
    """The one free entry to a sweepstakes, committed; with the member's entries now."""
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
        except IntegrityError:
            pass
        else:
            db.session.commit()
            return Augmented(entry, your_entries=entry_count(contest, member.id))
    raise ApiError(409, "already_entered", "You already have your free entry.")


def entry_count(contest: Contest, member_id: int | None = None) -> int:
    stmt = select(func.count(ContestEntry.id)).where(ContestEntry.contest_id == contest.id)
    if member_id is not None:
        stmt = stmt.where(ContestEntry.member_id == member_id)
    return db.session.scalar(stmt)


# What members' views refer to.


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


@dataclass(frozen=True)
class PrizeShown:
    """A prize band with the badge and reward it names."""

    first_rank: int
    last_rank: int
    points: int
    badge: Badge | None
    reward: Reward | None


def shown(contest: Contest, member: Member, lookups: _Lookups | None = None) -> Augmented:
    """A contest as the member sees it: its prizes with their badges and rewards, and the
    member's entries; lists pass `lookups` made once for all their contests."""
    if lookups is None:
        lookups = _lookups([contest], member)
    prizes = [
        PrizeShown(
            b["first_rank"],
            b["last_rank"],
            b.get("points") or 0,
            lookups.badges.get(b["badge_code"]) if b.get("badge_code") else None,
            lookups.rewards.get(b["reward_id"]) if b.get("reward_id") else None,
        )
        for b in contest.prizes
    ]
    return Augmented(
        contest, prizes_shown=prizes, your_entries=lookups.your_entries.get(contest.id, 0)
    )


def listing(member: Member, now: datetime | None = None) -> list[Augmented]:
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
    return [shown(c, member, lookups) for c in contests]


def display_name(name: str) -> str:
    """What others see of a member on a board: "Aino V.", never a full name."""
    parts = name.split()
    if not parts:
        return "?"
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


@dataclass(frozen=True)
class Board:
    """A leaderboard as a member sees it: the top places (`Standing`s with the holder's
    display name and whether it is the member) and the member's own place."""

    contest: Contest
    backend: str
    participants: int
    top: list[Augmented]
    you: Standing | None


def leaderboard(contest: Contest, member: Member, limit: int) -> Board:
    if contest.kind != "leaderboard":
        raise ApiError(409, "not_a_leaderboard", "This contest has no leaderboard.")
    top, backend = boards.top(contest, limit)
    names = dict(
        db.session.execute(
            select(Member.id, Member.name).where(Member.id.in_([s.member_id for s in top]))
        ).all()
    )
    return Board(
        contest=contest,
        backend=backend,
        participants=boards.participants(contest),
        top=[
            Augmented(
                s,
                name=display_name(names.get(s.member_id, "")),
                is_you=s.member_id == member.id,
            )
            for s in top
        ],
        you=boards.rank(contest, member.id),
    )


@dataclass(frozen=True)
class DrawState:
    """A sweepstakes' draw as anyone may check it: before the draw its commitment and the
    entries so far; after it the seed, every entry (by public ids) and the winners."""

    contest: Contest
    entry_count: int
    your_entries: int | None
    entries: list[dict[str, str]]

    @property
    def made(self) -> dict[str, Any]:
        return self.contest.draw or {}


def draw_state(contest: Contest, member: Member | None) -> DrawState:
    if contest.kind != "sweepstakes":
        raise ApiError(409, "not_a_sweepstakes", "This contest has no draw.")
    your_entries = entry_count(contest, member.id) if member else None
    if contest.draw is None:
        return DrawState(contest, entry_count(contest), your_entries, [])
    entries = db.session.execute(
        select(ContestEntry.public_id, Member.public_id)
        .join(Member, Member.id == ContestEntry.member_id)
        .where(ContestEntry.contest_id == contest.id)
        .order_by(ContestEntry.public_id)
    )
    return DrawState(
        contest,
        contest.draw["entry_count"],
        your_entries,
        [{"entry_id": e, "holder_id": h} for e, h in entries],
    )
