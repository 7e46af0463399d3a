"""The rewards catalog and redemptions: spend points, get a code, show it at the till once."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.codes import normalize, till_code
from app.errors import ApiError, not_found
from app.extensions import db
from app.ledger import service as ledger
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.rewards.models import Redemption, Reward
from app.stores.models import Store


def catalog(include_inactive: bool = False) -> list[Reward]:
    stmt = select(Reward).order_by(Reward.cost_points, Reward.id)
    if not include_inactive:
        stmt = stmt.where(Reward.active)
    return list(db.session.scalars(stmt))


def get_reward(public_id: str) -> Reward:
    reward = db.session.scalar(select(Reward).where(Reward.public_id == public_id))
    if reward is None:
        raise not_found("reward")
    return reward


def allowed_for(reward: Reward, member: Member) -> bool:
    return not reward.tiers or member.tier.code in reward.tiers


def redeem(member: Member, reward: Reward) -> Redemption:
    ensure_active(member)
    # The member first, then the reward: the order every ledger write and prize payout follows.
    ledger.lock_member(member.id)
    if not reward.active:
        raise ApiError(409, "reward_unavailable", "This reward is no longer offered.")
    if not allowed_for(reward, member):
        raise ApiError(
            403, "reward_not_for_tier", "This reward is for other tiers.", {"tiers": reward.tiers}
        )
    if reward.stock_remaining is not None:
        taken = db.session.execute(
            update(Reward)
            .where(Reward.id == reward.id, Reward.stock_remaining > 0)
            .values(stock_remaining=Reward.stock_remaining - 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise ApiError(409, "out_of_stock", "This reward is out of stock.")
    redemption = Redemption(
        member_id=member.id, reward_id=reward.id, points_spent=reward.cost_points, code=till_code()
    )
    db.session.add(redemption)
    db.session.flush()
    ledger.debit(
        member.id,
        reward.cost_points,
        kind="redeem",
        reason=f"Reward: {reward.name}",
        reference_type="redemption",
        reference_id=redemption.public_id,
    )
    return redemption


def grant(member_id: int, reward: Reward, reason: str) -> Redemption | None:
    """A reward won (a contest prize), not bought: a code for the till that cost no points.
    None when the reward is out of stock."""
    if reward.stock_remaining is not None:
        taken = db.session.execute(
            update(Reward)
            .where(Reward.id == reward.id, Reward.stock_remaining > 0)
            .values(stock_remaining=Reward.stock_remaining - 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            return None
    redemption = Redemption(
        member_id=member_id, reward_id=reward.id, points_spent=0, code=till_code(), reason=reason
    )
    db.session.add(redemption)
    db.session.flush()
    return redemption


def confirm(code: str, store: Store) -> Redemption:
    """The till confirms a code once; a second use is refused, and so is the code of an ended
    membership."""
    normalized = normalize(code)
    # In the same conditional update: a membership ended while the till asks cannot slip by.
    members_in_good_standing = select(Member.id).where(Member.ended_at.is_(None))
    used = db.session.execute(
        update(Redemption)
        .where(
            Redemption.code == normalized,
            Redemption.status == "issued",
            Redemption.member_id.in_(members_in_good_standing),
        )
        .values(status="confirmed", confirmed_at=utcnow(), confirmed_store_id=store.id)
        .execution_options(synchronize_session=False)
    )
    redemption = db.session.scalar(
        select(Redemption)
        .where(Redemption.code == normalized)
        .execution_options(populate_existing=True)
    )
    if redemption is None:
        raise not_found("redemption")
    if used.rowcount != 1 and redemption.status in ("void", "issued"):
        # "issued" but not taken: its membership has ended (codes issued before were voided).
        raise ApiError(
            409, "redemption_void", "This code is no longer valid: the membership has ended."
        )
    if used.rowcount != 1:
        raise ApiError(
            409,
            "redemption_already_used",
            "This code was already used.",
            {
                "confirmed_at": redemption.confirmed_at.isoformat()
                if redemption.confirmed_at
                else None
            },
        )
    db.session.commit()
    return redemption


def void_open_codes(member_id: int) -> int:
    """Codes not yet confirmed at a till stop working (an ended membership); no commit.
    The points spent and the stock taken stay spent: the membership's points end with it."""
    result = db.session.execute(
        update(Redemption)
        .where(Redemption.member_id == member_id, Redemption.status == "issued")
        .values(status="void")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def member_redemptions(member: Member) -> list[Redemption]:
    return list(
        db.session.scalars(
            select(Redemption)
            .where(Redemption.member_id == member.id)
            .order_by(Redemption.id.desc())
            .limit(100)
        )
    )


def set_stock(reward: Reward, remaining: int | None) -> Reward:
    """An operator sets what is left; `stock_total` moves with it, under the reward's lock (which
    redemptions take too), so the ledger check can prove no more was redeemed than was stocked."""
    locked = db.session.scalar(
        select(Reward)
        .where(Reward.id == reward.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if remaining is None:
        locked.stock_total = None
    elif locked.stock_remaining is None or locked.stock_total is None:
        # Unlimited until now: what was redeemed so far counts as stocked.
        redeemed = db.session.scalar(
            select(func.count(Redemption.id)).where(Redemption.reward_id == locked.id)
        )
        locked.stock_total = redeemed + remaining
    else:
        locked.stock_total += remaining - locked.stock_remaining
    locked.stock_remaining = remaining
    return locked
