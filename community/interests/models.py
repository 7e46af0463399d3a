"""The catalog of interests, the members' choices and their contact preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import created_at_column, public_id_column

CHANNELS = ("push", "email")


class Interest(db.Model):
    __tablename__ = "community_interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("int")
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    # What the catalog and the offers list put first for a member with this interest.
    reward_ids: Mapped[list] = mapped_column(JSON, default=list)
    offer_ids: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class MemberInterest(db.Model):
    __tablename__ = "community_member_interests"
    # Segments look members up by interest.
    __table_args__ = (Index("ix_community_member_interests_interest", "interest_id"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("community_interests.id"), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()


class ContactPreference(db.Model):
    """The member may be told about this interest on this channel."""

    __tablename__ = "community_contact_preferences"
    __table_args__ = (Index("ix_community_contact_interest", "interest_id", "channel"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("community_interests.id"), primary_key=True)
