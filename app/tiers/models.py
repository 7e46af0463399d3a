from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Tier(db.Model):
    """A level of the program. `rank` orders tiers; the lowest rank is where everyone starts."""

    __tablename__ = "tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    rank: Mapped[int] = mapped_column(unique=True)
    # Points earned in the rolling window needed to hold this tier.
    threshold_points: Mapped[int] = mapped_column(default=0)
    multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal(1))
    discount_percent: Mapped[int] = mapped_column(default=0)
    privileges: Mapped[list] = mapped_column(JSON, default=list)
    color: Mapped[str] = mapped_column(String(7), default="#8a8d91")
