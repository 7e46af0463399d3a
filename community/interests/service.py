"""The interests catalog, the members' choices, the segment criterion and the ranker."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, exists, select

from app.errors import ApiError
from app.extensions import db
from app.lookup import by_public_id
from app.members.models import Member
from app.offers.models import Offer
from app.personalization import OFFER, REWARD
from app.rewards.models import Reward
from community.interests.models import CHANNELS, ContactPreference, Interest, MemberInterest


def catalog(include_inactive: bool = False) -> list[Interest]:
    stmt = select(Interest).order_by(Interest.position, Interest.id)
    if not include_inactive:
        stmt = stmt.where(Interest.active)
    return list(db.session.scalars(stmt))


def get_interest(public_id: str) -> Interest:
    return by_public_id(Interest, public_id, "interest")


def _known(model: type, ids: Sequence[str], field: str) -> list[str]:
    found = set(db.session.scalars(select(model.public_id).where(model.public_id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ApiError(
            422,
            "validation_error",
            f"Unknown {field}.",
            {"fields": {field: [f"unknown id {missing[0]}"]}},
        )
    return list(dict.fromkeys(ids))


def save_interest(interest: Interest, data: dict) -> Interest:
    if "reward_ids" in data:
        data["reward_ids"] = _known(Reward, data["reward_ids"], "reward_ids")
    if "offer_ids" in data:
        data["offer_ids"] = _known(Offer, data["offer_ids"], "offer_ids")
    code = data.get("code")
    if code is not None and code != interest.code:
        taken = db.session.scalar(select(Interest.id).where(Interest.code == code))
        if taken is not None:
            raise ApiError(409, "interest_code_taken", "Another interest has this code.")
    for key, value in data.items():
        setattr(interest, key, value)
    db.session.add(interest)
    db.session.flush()
    return interest


def ids_for_codes(codes: Sequence[str], *, active_only: bool = True) -> dict[str, int]:
    stmt = select(Interest.code, Interest.id).where(Interest.code.in_(codes))
    if active_only:
        stmt = stmt.where(Interest.active)
    return dict(db.session.execute(stmt).all())


def unknown_codes(codes: Sequence[str]) -> list[str]:
    known = ids_for_codes(codes, active_only=False)
    return [c for c in codes if c not in known]


def member_codes(member_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Interest.code)
            .join(MemberInterest, MemberInterest.interest_id == Interest.id)
            .where(MemberInterest.member_id == member_id)
            .order_by(Interest.position, Interest.id)
        )
    )


def member_contact(member_id: int) -> dict[str, list[str]]:
    rows = db.session.execute(
        select(ContactPreference.channel, Interest.code)
        .join(Interest, Interest.id == ContactPreference.interest_id)
        .where(ContactPreference.member_id == member_id)
        .order_by(Interest.position, Interest.id)
    )
    contact: dict[str, list[str]] = {channel: [] for channel in CHANNELS}
    for channel, code in rows:
        contact[channel].append(code)
    return contact


def set_member_interests(
    member: Member, codes: list[str], contact: dict[str, list[str]] | None
) -> None:
    """Replace the member's interests (and, when given, the channels per interest); commits.

    A channel may only name interests the member has chosen."""
    codes = list(dict.fromkeys(codes))
    ids = ids_for_codes(codes)
    problems: dict[str, list[str]] = {}
    unknown = [c for c in codes if c not in ids]
    if unknown:
        problems["interests"] = [f"unknown interest {c}" for c in unknown]
    for channel, channel_codes in (contact or {}).items():
        stray = [c for c in channel_codes if c not in codes]
        if stray:
            problems[f"communication.{channel}"] = [
                f"{c} is not among the interests" for c in stray
            ]
    if problems:
        raise ApiError(
            422,
            "unknown_interest",
            "Some interests are unknown or not chosen.",
            {"fields": problems},
        )
    db.session.execute(delete(MemberInterest).where(MemberInterest.member_id == member.id))
    db.session.add_all(MemberInterest(member_id=member.id, interest_id=ids[c]) for c in codes)
    if contact is not None:
        db.session.execute(
            delete(ContactPreference).where(ContactPreference.member_id == member.id)
        )
        db.session.add_all(
            ContactPreference(member_id=member.id, channel=channel, interest_id=ids[c])
            for channel, channel_codes in contact.items()
            for c in dict.fromkeys(channel_codes)
        )
    else:
        # Interests no longer chosen are no longer a topic on any channel.
        db.session.execute(
            delete(ContactPreference).where(
                ContactPreference.member_id == member.id,
                ContactPreference.interest_id.not_in(list(ids.values()) or [-1]),
            )
        )
    db.session.commit()


def has_any(member_id: int, codes: Sequence[str]) -> bool:
    return (
        db.session.scalar(
            select(MemberInterest.member_id)
            .join(Interest, Interest.id == MemberInterest.interest_id)
            .where(MemberInterest.member_id == member_id, Interest.code.in_(codes))
            .limit(1)
        )
        is not None
    )


# -- the segment criterion -------------------------------------------------------------------


def segment_clause(codes: list[str], rules: dict) -> ColumnElement[bool]:
    """Members who chose one of `codes`; with `interests_channel`, who also want to hear about
    it on that channel."""
    interest_ids = select(Interest.id).where(Interest.code.in_(codes))
    channel = rules.get("interests_channel")
    if channel:
        return exists().where(
            ContactPreference.member_id == Member.id,
            ContactPreference.channel == channel,
            ContactPreference.interest_id.in_(interest_ids),
        )
    return exists().where(
        MemberInterest.member_id == Member.id, MemberInterest.interest_id.in_(interest_ids)
    )


# -- the personalization ranker (app.personalization) ----------------------------------------


def rank(kind: str, member: Member, public_ids: Sequence[str]) -> set[str]:
    """Of the rewards or offers given, those that one of the member's interests names."""
    column = {REWARD: Interest.reward_ids, OFFER: Interest.offer_ids}.get(kind)
    if column is None:
        return set()
    lists = db.session.scalars(
        select(column)
        .join(MemberInterest, MemberInterest.interest_id == Interest.id)
        .where(MemberInterest.member_id == member.id, Interest.active)
    )
    named = {public_id for ids in lists for public_id in ids or ()}
    return named & set(public_ids)
