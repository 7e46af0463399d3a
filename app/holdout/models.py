from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import created_at_column


class HoldoutAssignment(db.Model):
    """One member of a subject's audience and the group drawn for them: `held_out` (not sent,
    not offered) or treated. Recorded when the audience is fixed (a campaign's fan-out, an
    offer's start), once per member: the groups a lift is measured on."""

    __tablename__ = "holdout_assignments"
    __table_args__ = (Index("ix_holdout_assignments_member", "member_id"),)

    subject_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    held_out: Mapped[bool]
    assigned_at: Mapped[datetime] = created_at_column()
