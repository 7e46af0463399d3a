"""Apple passes, the devices Wallet registered for them, update tags and Wallet's log lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column, utcnow


class ApplePass(db.Model):
    """A member's Apple pass. The serial is public (it is in the pass); the token is its secret.

    update_tag comes from PassUpdateCounter and is what Wallet receives as `lastUpdated`;
    updated_at is the pass's Last-Modified, in whole seconds and strictly increasing.
    """

    __tablename__ = "apple_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial_number: Mapped[str] = public_id_column("ap")
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    authentication_token: Mapped[str] = mapped_column(String(64))
    update_tag: Mapped[int] = mapped_column(BigInteger, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = created_at_column()


class AppleDevice(db.Model):
    """A device's Wallet, as it names itself: one device library identifier for all its passes."""

    __tablename__ = "apple_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_library_id: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = created_at_column()


class AppleRegistration(db.Model):
    """A device registered for one pass, with the push token it gave in that registration.

    The token is kept per registration, not per device: a registration is authenticated by one
    pass's token only, and the device library identifier it names is no secret (every pass on
    the phone shares it). So a registration for member B's pass can set where B's updates go,
    never where those of member A's pass on the same device identifier go.
    """

    __tablename__ = "apple_registrations"
    __table_args__ = (UniqueConstraint("device_id", "pass_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("apple_devices.id"))
    pass_id: Mapped[int] = mapped_column(ForeignKey("apple_passes.id"), index=True)
    # APNs reports a token gone (410): every registration that gave it is dropped.
    push_token: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = created_at_column()


class PassUpdateCounter(db.Model):
    """One row whose value hands out update tags.

    Taking the next value locks the row until the bumping transaction commits, so tags become
    visible in the order they were handed out: a device that saw tag N never misses a later
    change, which tags drawn from a clock or a sequence cannot promise.
    """

    __tablename__ = "pass_update_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class PassLogEntry(db.Model):
    """A line Wallet sent to /v1/log: how operators learn why a device rejected a pass."""

    __tablename__ = "pass_log_entries"
    __table_args__ = (Index("ix_pass_log_entries_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
