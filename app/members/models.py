from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, false, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.auth.models import User
from app.consents.models import MARKETING_PUSH, ConsentRecord
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
    card_number: Mapped[str] = mapped_column(String(20), unique=True)
    home_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"), index=True)
    tier_since: Mapped[datetime] = created_at_column()
    points_available: Mapped[int] = mapped_column(default=0)
    points_pending: Mapped[int] = mapped_column(default=0)
    # The running total of tier qualification (app.tiers.service): the `qualifying` points of
    # the ledger entries made since `tier_points_since` (None: since the first), kept by the
    # ledger in the same update as the balances.
    tier_points: Mapped[int] = mapped_column(default=0)
    tier_points_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    joined_at: Mapped[datetime] = created_at_column()
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")
    tier = relationship("Tier", lazy="joined")

    @property
    def email(self) -> str:
        return self.user.email


def current_consent(purpose: str):
    """Whether the member's newest consent record for `purpose` grants it (no record: no)."""
    newest = (
        select(ConsentRecord.granted)
        .where(ConsentRecord.member_id == Member.id, ConsentRecord.purpose == purpose)
        .order_by(ConsentRecord.id.desc())
        .limit(1)
        .correlate_except(ConsentRecord)
        .scalar_subquery()
    )
    return func.coalesce(newest, false(), type_=Boolean)


# Read from the consent record, never stored on the member: what campaigns and the segment
# criterion select on (`Member.marketing_consent.is_(True)`) is the member's latest answer.
# Written only through app.consents.service.
Member.marketing_consent = column_property(current_consent(MARKETING_PUSH))
