from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column


def _initial_stock(context) -> int | None:
    return context.get_current_parameters().get("stock_remaining")


class Reward(db.Model):
    __tablename__ = "rewards"
    __table_args__ = (CheckConstraint("stock_remaining >= 0", name="stock_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("rew")
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    cost_points: Mapped[int]
    # None: unlimited.
    stock_remaining: Mapped[int | None]
    # Every unit ever put in stock (the first stock and each restock): the ledger check proves
    # that the redemptions (a voided code's unit stays spent) plus what is left never exceed it.
    # None while unlimited.
    stock_total: Mapped[int | None] = mapped_column(default=_initial_stock)
    # Tier codes allowed to redeem; empty: every tier.
    tiers: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class Redemption(db.Model):
    __tablename__ = "redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("red")
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    points_spent: Mapped[int]
    # What the member shows at the till.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="issued")
    # Why a reward was given without points (a contest prize); None for a purchase with points.
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
