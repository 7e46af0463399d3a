from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column


class Member(db.Model):
    """A loyalty member: profile, card and the cached point balances of the ledger."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("points_available >= 0", name="available_not_negative"),
        CheckConstraint("points_pending >= 0", name="pending_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("mem")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    card_number: Mapped[str] = mapped_column(String(20), unique=True)
    home_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"), index=True)
    tier_since: Mapped[datetime] = created_at_column()
    points_available: Mapped[int] = mapped_column(default=0)
    points_pending: Mapped[int] = mapped_column(default=0)
    joined_at: Mapped[datetime] = created_at_column()
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")
    tier = relationship("Tier", lazy="joined")

    @property
    def email(self) -> str:
        return self.user.email
