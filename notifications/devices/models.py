"""An app installation that receives pushes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column, utcnow

PLATFORMS = ("android", "ios", "web")


class Device(db.Model):
    """An app installation that receives pushes, addressed by its Firebase installation ID (fid)
    or, for app versions that report none, a legacy FCM registration token."""

    __tablename__ = "push_devices"
    __table_args__ = (
        # A device retired by a merge may lose both addresses; an active one needs one.
        CheckConstraint("NOT active OR fid IS NOT NULL OR token IS NOT NULL", name="has_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("dev")
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    fid: Mapped[str | None] = mapped_column(String(255), unique=True)
    token: Mapped[str | None] = mapped_column(String(512), unique=True)
    platform: Mapped[str] = mapped_column(String(10))
    app_version: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    # unregistered (the app said so), UNREGISTERED / INVALID_ARGUMENT / SENDER_ID_MISMATCH (FCM),
    # merged, membership_ended, replaced (past the member's cap of devices)
    deactivated_reason: Mapped[str | None] = mapped_column(String(40))
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = created_at_column()
