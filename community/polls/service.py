"""Product votes: polls, votes exactly once, the close that names the winner and tells voters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError
from app.extensions import db
from app.ledger.service import lock_member
from app.lookup import by_public_id
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from community import pushes, windows
from community.eligibility import check_refs, is_eligible
from community.polls.models import CLOSED, OPEN, Poll, PollCandidate, PollVote


def get_poll(public_id: str) -> Poll:
    return by_public_id(Poll, public_id, "poll")


def save_poll(poll: Poll, data: dict) -> Poll:
    """Create or change a poll (not committed); its candidates only before the first vote."""
    check_refs(data)
    if poll.id is not None and poll.status == CLOSED:
        raise ApiError(409, "poll_closed", "This poll is closed.")
    candidates = data.pop("candidates", None)
    if candidates is not None and poll.id is not None and vote_count(poll) > 0:
        raise ApiError(409, "poll_has_votes", "Members have voted: the candidates stay.")
    for key, value in data.items():
        setattr(poll, key, value)
    if poll.ends_at <= poll.starts_at:
        raise ApiError(
            422,
            "validation_error",
            "The poll must end after it starts.",
            {"fields": {"ends_at": ["must be after starts_at"]}},
        )
    if candidates is not None:
        poll.candidates = [PollCandidate(position=i, **c) for i, c in enumerate(candidates)]
    db.session.add(poll)
    db.session.flush()
    return poll


def vote_count(poll: Poll) -> int:
    return db.session.scalar(select(func.count(PollVote.id)).where(PollVote.poll_id == poll.id))


def counts(poll: Poll) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(PollVote.candidate_id, func.count(PollVote.id))
            .where(PollVote.poll_id == poll.id)
            .group_by(PollVote.candidate_id)
        ).all()
    )


def results_visible(poll: Poll) -> bool:
    return poll.status == CLOSED or poll.results_visibility == "live"


def polls_for(member: Member, now: datetime | None = None) -> list[Poll]:
    """Open polls the member may vote in, and closed ones the member voted in."""
    now = now or utcnow()
    voted = _voted_ids(member)
    rows = db.session.scalars(
        select(Poll)
        .where(
            ((Poll.status == OPEN) & (Poll.starts_at <= now) & (Poll.ends_at > now))
            | Poll.id.in_(voted)
        )
        .order_by(Poll.ends_at.desc(), Poll.id)
        .limit(100)
    )
    return [p for p in rows if p.id in voted or is_eligible(p, member)]


def _voted_ids(member: Member) -> set[int]:
    return set(db.session.scalars(select(PollVote.poll_id).where(PollVote.member_id == member.id)))


def my_votes(poll: Poll, member: Member) -> list[PollVote]:
    return list(
        db.session.scalars(
            select(PollVote)
            .where(PollVote.poll_id == poll.id, PollVote.member_id == member.id)
            .order_by(PollVote.id)
        )
    )


def vote(poll: Poll, member: Member, candidate_public_id: str) -> tuple[PollVote, int]:
    """One vote for a candidate, within the member's votes; committed. The member's row lock
    makes a member's concurrent votes take turns, so the count and the uniqueness hold."""
    ensure_active(member)
    lock_member(member.id)
    poll = db.session.get(Poll, poll.id, populate_existing=True)
    now = utcnow()
    state = windows.window_state(poll.starts_at, poll.ends_at, now)
    if poll.status == CLOSED or state == windows.CLOSED:
        raise ApiError(
            409, "poll_closed", "This poll is closed.", {"ends_at": poll.ends_at.isoformat()}
        )
    if state == windows.NOT_STARTED:
        raise ApiError(
            409,
            "poll_not_started",
            "This poll has not started.",
            {"starts_at": poll.starts_at.isoformat()},
        )
    if not is_eligible(poll, member):
        raise ApiError(
            403, "poll_not_eligible", "This poll is for other members.", {"tiers": poll.tiers}
        )
    candidate = next((c for c in poll.candidates if c.public_id == candidate_public_id), None)
    if candidate is None:
        raise ApiError(
            422,
            "validation_error",
            "No such candidate in this poll.",
            {"fields": {"candidate_id": ["unknown candidate"]}},
        )
    mine = my_votes(poll, member)
    if any(v.candidate_id == candidate.id for v in mine):
        raise ApiError(409, "already_voted", "You have voted for this one.")
    if len(mine) >= poll.votes_per_member:
        raise ApiError(
            409,
            "vote_limit_reached",
            "You have no votes left in this poll.",
            {"votes_per_member": poll.votes_per_member},
        )
    cast = PollVote(poll_id=poll.id, candidate_id=candidate.id, member_id=member.id)
    try:
        with db.session.begin_nested():
            db.session.add(cast)
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "already_voted", "You have voted for this one.") from None
    db.session.commit()
    return cast, poll.votes_per_member - len(mine) - 1


def winner(poll: Poll, tally: dict[int, int]) -> PollCandidate | None:
    """Most votes; a tie goes to the candidate listed first. None without votes."""
    if not tally:
        return None
    return max(poll.candidates, key=lambda c: (tally.get(c.id, 0), -c.position))


def close(poll: Poll, now: datetime | None = None) -> bool:
    """Close the poll once (a conditional update: two closers, one close), name the winner and
    tell each voter; not committed. False when it was closed already."""
    now = now or utcnow()
    taken = db.session.execute(
        update(Poll)
        .where(Poll.id == poll.id, Poll.status == OPEN)
        .values(status=CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return False
    poll = db.session.get(Poll, poll.id, populate_existing=True)
    best = winner(poll, counts(poll))
    poll.winner_id = best.public_id if best else None
    if best is not None:
        voters = db.session.scalars(
            select(PollVote.member_id).where(PollVote.poll_id == poll.id).distinct()
        )
        for member_id in voters:
            pushes.publish(
                pushes.POLL_WINNER,
                {
                    "member_id": member_id,
                    "poll_id": poll.public_id,
                    "name": poll.title,
                    "winner": best.name,
                },
            )
    db.session.flush()
    return True


def close_due(now: datetime | None = None) -> int:
    """Close every open poll past its end, each committed on its own."""
    now = now or utcnow()
    closed = 0
    for poll_id in list(
        db.session.scalars(select(Poll.id).where(Poll.status == OPEN, Poll.ends_at <= now))
    ):
        closed += close(db.session.get(Poll, poll_id), now)
        db.session.commit()
    return closed


def results(poll: Poll) -> dict:
    tally = counts(poll)
    voters = db.session.scalar(
        select(func.count(func.distinct(PollVote.member_id))).where(PollVote.poll_id == poll.id)
    )
    return {
        "poll_id": poll.public_id,
        "status": poll.status,
        "voters": voters,
        "votes": sum(tally.values()),
        "winner_id": poll.winner_id,
        "candidates": [
            {"id": c.public_id, "name": c.name, "votes": tally.get(c.id, 0)}
            for c in poll.candidates
        ],
    }
