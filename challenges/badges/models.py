"""Badges: named achievements, and who holds which (granted by challenges, quizzes, contests)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import created_at_column, public_id_column


class Badge(db.Model):
    __tablename__ = "game_badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("bdg")
    code: Mapped[str] = mapped_column(String(60), unique=True)
    image_url: Mapped[str] = mapped_column(String(500))
    name: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = created_at_column()


class MemberBadge(db.Model):
    __tablename__ = "game_member_badges"
    __table_args__ = (UniqueConstraint("member_id", "badge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    badge_id: Mapped[int] = mapped_column(ForeignKey("game_badges.id"))
    # What granted it, e.g. "challenge:chl_x:2026-W48" or "contest:ctst_y:1".
    source: Mapped[str] = mapped_column(String(120))
    granted_at: Mapped[datetime] = created_at_column()
