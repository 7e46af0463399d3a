from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column

# forfeit: what an erased member still had (app.privacy), taken in one entry; refund: points
# paid for something the program gave back (community's event seats).
KINDS = ("earn", "bonus", "release", "redeem", "reverse", "expire", "adjust", "forfeit", "refund")


class LedgerEntry(db.Model):
    """An append-only movement of points. Never updated, never deleted.

    The two deltas move the member's two balances: the sum of `available_delta` over a member's
    entries equals `members.points_available`, and likewise for pending. `qualifying` is what the
    entry counts towards tier qualification (purchase points and their reversals).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_member_created", "member_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("ent")
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(10))
    available_delta: Mapped[int] = mapped_column(default=0)
    pending_delta: Mapped[int] = mapped_column(default=0)
    qualifying: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(200))
    # What caused it: ("purchase", id), ("redemption", id), ("admin", user id), ...
    reference_type: Mapped[str] = mapped_column(String(30))
    reference_id: Mapped[str] = mapped_column(String(64))
    # Makes an award exactly-once: the same key never produces a second entry.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = created_at_column()


class PointLot(db.Model):
    """Points earned together, tracked so that they become available and expire first-in first-out.

    `remaining` is what of this lot is still in the member's balance (pending until `released`).
    """

    __tablename__ = "point_lots"
    __table_args__ = (
        Index("ix_lots_spendable", "member_id", "released", "expires_at", "id"),
        Index("ix_lots_release_due", "released", "available_at"),
        Index("ix_lots_expiry_due", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("purchases.id"), index=True)
    points: Mapped[int]
    remaining: Mapped[int]
    released: Mapped[bool] = mapped_column(default=False)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
