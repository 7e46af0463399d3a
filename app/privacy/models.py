from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column


class Erasure(db.Model):
    """A member's erasure: asked once, its steps done one by one (each committed with its name
    in `steps_done`), finished when every registered step has run."""

    __tablename__ = "member_erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("era")
    # One per member: asking again answers the erasure already under way.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    requested_by: Mapped[str] = mapped_column(String(40))
    requested_role: Mapped[str] = mapped_column(String(10))
    requested_at: Mapped[datetime] = created_at_column()
    steps_done: Mapped[list] = mapped_column(JSON, default=list)
    points_forfeited: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def status(self) -> str:
        return "completed" if self.completed_at is not None else "in_progress"
