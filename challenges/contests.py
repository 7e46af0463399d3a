"""Contests: leaderboards over a window and sweepstakes with a verifiable draw.

Closing is one conditional update (`status = 'open' AND ends_at <= now` -> closed) in the same
transaction as the prizes: whoever's update changed the row pays, any other closer changes
nothing and pays nothing. Ledger keys per (contest, rank) make a replay a no-op besides.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app import events, outbox
from app.errors import ApiError, not_found
from app.extensions import db
from app.ledger.service import award_points, lock_member
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.rewards import service as rewards
from app.rewards.models import Reward
from challenges import badges, boards, draw
from challenges.common import default_language, enabled, require_eligible
from challenges.eligibility import is_eligible
from challenges.models import Badge, Contest, ContestEntry, ContestPrize
from challenges.prizes import PrizeBand, PrizeTable, award_prizes, prize_idempotency_key
from challenges.texts import localize

log = logging.getLogger(__name__)

METRICS = ("points_earned", "quiz_score", "challenges_completed")
# What a "points earned" contest counts: earning and bonuses, minus refund reversals. A release
# (pending -> available) earns nothing new; redeeming, expiry and admin fixes are not earning.
EARNING_KINDS = frozenset({"earn", "bonus", "reverse"})
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
    if contest.status != "open":
        raise ApiError(409, "contest_closed", "A closed contest cannot change.")
    if contest.kind == "sweepstakes" and contest.starts_at <= utcnow():
        locked = {"prizes", "one_prize_per_holder"} & changes.keys()
        if locked:
            raise ApiError(
                409, "contest_running", f"Cannot change {', '.join(sorted(locked))} once open."
            )
    ends_before = contest.ends_at
    for field, value in changes.items():
        setattr(contest, field, value)
    check(contest)
    if contest.ends_at != ends_before:
        schedule_close(contest)
    return contest


def schedule_close(contest: Contest) -> None:
    """An outbox job due at the contest's end; beat's periodic sweep is the backstop."""
    delay = max(0.0, (contest.ends_at - utcnow()).total_seconds())
    outbox.enqueue(CLOSE_TOPIC, {"contest_id": contest.public_id}, delay_seconds=delay)


def running(kind: str, now: datetime, **where: Any) -> list[Contest]:
    stmt = select(Contest).where(
        Contest.kind == kind,
        Contest.status == "open",
        Contest.starts_at <= now,
        Contest.ends_at > now,
    )
    for field, value in where.items():
        column = getattr(Contest, field)
        stmt = stmt.where(column > 0 if value is True else column == value)
    return list(db.session.scalars(stmt))


# Event handlers (inside the transaction of whatever happened).


def on_points_changed(payload: dict[str, Any]) -> None:
    if not enabled() or payload.get("kind") not in EARNING_KINDS or not payload.get("delta"):
        return
    now = utcnow()
    contests = running("leaderboard", now, metric="points_earned")
    if contests:
        member = db.session.get(Member, payload["member_id"])
        for contest in contests:
            if is_eligible(contest, member):
                boards.add_score(contest, member.id, int(payload["delta"]), now)


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


def on_purchase_recorded(payload: dict[str, Any]) -> None:
    if not enabled():
        return
    contests = running("sweepstakes", utcnow(), entries_per_purchase=True)
    if contests:
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
            ContestEntry.contest_id.in_(select(Contest.id).where(Contest.status == "open")),
        )
        .execution_options(synchronize_session=False)
    )


def _earn_entries(contest: Contest, member: Member, source: str, ref: str, count: int) -> None:
    if not is_eligible(contest, member):
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
    if contest.status != "open" or not contest.starts_at <= now < contest.ends_at:
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
    """Close every contest whose end has passed; returns the public ids this call closed."""
    now = now or utcnow()
    due = list(
        db.session.execute(
            select(Contest.id, Contest.public_id).where(
                Contest.status == "open", Contest.ends_at <= now
            )
        )
    )
    db.session.rollback()
    closed = []
    for contest_id, public_id in due:
        try:
            if close(contest_id, now):
                closed.append(public_id)
        except Exception:
            db.session.rollback()
            log.exception("closing contest %s failed; it stays open for the next run", public_id)
    return closed


def close(contest_id: int, now: datetime | None = None) -> bool:
    """Close one contest and pay its prizes, in one transaction; False if it was not due or
    another closer got there first."""
    now = now or utcnow()
    won = db.session.execute(
        update(Contest)
        .where(Contest.id == contest_id, Contest.status == "open", Contest.ends_at <= now)
        .values(status="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        db.session.rollback()
        return False
    contest = db.session.scalar(
        select(Contest).where(Contest.id == contest_id).execution_options(populate_existing=True)
    )
    table = prize_table(contest)
    if contest.kind == "leaderboard":
        for award in award_prizes(table, boards.final_top(contest, table.last_rank)):
            _pay(contest, award.rank, award.member_id, score=award.score)
    else:
        _draw(contest, table.last_rank)
    db.session.commit()
    return True


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


def listing(member: Member, now: datetime | None = None) -> list[dict]:
    now = now or utcnow()
    contests = [
        c
        for c in db.session.scalars(
            select(Contest)
            .where(Contest.status == "open", Contest.starts_at <= now, Contest.ends_at > now)
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
        "closed_at": contest.closed_at.isoformat() if contest.closed_at else None,
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
