"""The member's Google Wallet LoyaltyObject, as far as we keep it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column


class GooglePass(db.Model):
    """A member's Google Wallet LoyaltyObject, once it exists at Google."""

    __tablename__ = "google_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    object_id: Mapped[str] = mapped_column(String(200), unique=True)
    # The available points Google last received: a PATCH that changes them may notify.
    synced_points: Mapped[int | None]
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
