"""Members' codes (made on first use), finding the code a friend typed, the share link, and
the email keys the rules compare."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError
from app.extensions import db
from app.members.models import Member
from referrals import rules
from referrals.codes.models import EmailKey, ReferralCode
from referrals.program.service import get_settings, hold

INVALID = "referral_code_invalid"


def invalid_code(reason: str) -> ApiError:
    """What every unusable code answers: 422 `referral_code_invalid`, with why."""
    messages = {
        "unknown": "No such referral code.",
        "not_started": "This code is not valid yet.",
        "expired": "This code is no longer valid.",
        "cap_reached": "This code has been used as many times as it may be.",
    }
    return ApiError(422, INVALID, messages[reason], {"reason": reason})


def code_of(member: Member) -> ReferralCode:
    """The member's own code, made the first time it is asked for."""
    row = db.session.scalar(select(ReferralCode).where(ReferralCode.member_id == member.id))
    for _ in range(5):
        if row is not None:
            return row
        try:
            with db.session.begin_nested():
                row = ReferralCode(code=rules.new_member_code(), member_id=member.id)
                db.session.add(row)
        except IntegrityError:
            # Another request made the member's code, or (1 in 30^8) the code is taken.
            row = db.session.scalar(select(ReferralCode).where(ReferralCode.member_id == member.id))
    raise RuntimeError("no free referral code")  # pragma: no cover


def find(raw: str, *, lock: bool = False) -> ReferralCode:
    """The code a friend typed (normalised: ` anna 10 ` is `ANNA10`), or 422."""
    try:
        code = rules.normalise_code(raw)
    except rules.InvalidCode:
        raise invalid_code("unknown") from None
    stmt = select(ReferralCode).where(ReferralCode.code == code)
    if lock:
        stmt = stmt.with_for_update()
    row = db.session.scalar(stmt)
    if row is None or row.disabled_at is not None:
        raise invalid_code("unknown")
    return row


def lock_code(code_id: int) -> ReferralCode:
    """The code's row lock: a referrer's qualifications (and the cap they count) take turns."""
    return db.session.execute(
        select(ReferralCode)
        .where(ReferralCode.id == code_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def share_links(code: str) -> tuple[str, str]:
    """(the web link to share, which the app opens when installed; the app's deep link)."""
    config = current_app.config
    return (
        config["REFERRAL_SHARE_URL"].format(code=code),
        config["REFERRAL_DEEP_LINK"].format(code=code),
    )


def record_email_key(member_id: int, email: str) -> None:
    db.session.add(EmailKey(member_id=member_id, key_hash=rules.digest(rules.email_key(email))))


def same_email_as_another(member_id: int, email: str) -> bool:
    """Another member has this email in another spelling (`anna.k+2@` is `annak@`)."""
    key = rules.digest(rules.email_key(email))
    return (
        db.session.scalar(
            select(EmailKey.member_id)
            .where(EmailKey.key_hash == key, EmailKey.member_id != member_id)
            .limit(1)
        )
        is not None
    )


@dataclass(frozen=True)
class SideReward:
    points: int
    reward_id: int | None


@dataclass(frozen=True)
class Rewards:
    you: SideReward
    friend: SideReward
    min_purchase_minor: int
    hold_days: int


@dataclass(frozen=True)
class MyReferral:
    code: str
    share_url: str
    deep_link: str
    rewards: Rewards


def my_referral(member: Member) -> MyReferral:
    """The member's code and links, and what a friend's first purchase gives both sides."""
    code = code_of(member).code
    settings = get_settings()
    share_url, deep_link = share_links(code)
    rewards = Rewards(
        you=SideReward(settings.referrer_points, settings.referrer_reward_id),
        friend=SideReward(settings.friend_points, settings.friend_reward_id),
        min_purchase_minor=settings.min_purchase_minor,
        hold_days=hold(settings).days,
    )
    return MyReferral(code, share_url, deep_link, rewards)
