"""The consent record: what a member agreed to or withdrew, which text, when and through what.

Rows are only ever added. A member's current consent to a purpose is the newest row for it;
a withdrawal is a row with `granted` false. `Member.marketing_consent` reads that newest row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.config import CONSENT_PURPOSES as PURPOSES
from app.extensions import db
from app.models_base import created_at_column, public_id_column

MARKETING_PUSH, EMAIL, DATA_PROCESSING, TERMS = PURPOSES
# Membership rests on these: they are agreed to at sign-up and withdrawn only by erasure.
REQUIRED = (DATA_PROCESSING, TERMS)
# Where a member says yes or no themselves; the others are written by the system.
MEMBER_CHANNELS = ("app", "web", "store")
CHANNELS = (*MEMBER_CHANNELS, "signup", "erasure", "migration")


class ConsentRecord(db.Model):
    __tablename__ = "consent_records"
    __table_args__ = (
        # The newest row per member and purpose, found from the index alone.
        Index("ix_consent_records_member_purpose", "member_id", "purpose", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("cns")
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    purpose: Mapped[str] = mapped_column(String(20))
    granted: Mapped[bool]
    # The version of the text the member was shown (app.config CONSENT_TEXT_VERSIONS).
    text_version: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = created_at_column()
