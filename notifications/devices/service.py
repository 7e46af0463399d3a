"""A member's devices: registering (with a cap per member), listing, unregistering."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError, not_found
from app.extensions import db
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from notifications import settings
from notifications.devices.models import Device


def _find(fid: str | None, token: str | None) -> tuple[Device | None, Device | None]:
    by_fid = db.session.scalar(select(Device).where(Device.fid == fid)) if fid else None
    by_token = db.session.scalar(select(Device).where(Device.token == token)) if token else None
    return by_fid, by_token


def _register(member: Member, data: dict) -> tuple[Device, bool]:
    fid, token = data.get("fid"), data.get("token")
    by_fid, by_token = _find(fid, token)
    if by_fid is not None and by_token is not None and by_fid.id != by_token.id:
        # An install we knew by its token now reports its fid, which another row holds: the
        # fid's row is the device; the token leaves the other row (retired if it had no fid).
        by_token.token = None
        if by_token.fid is None:
            by_token.active, by_token.deactivated_reason = False, "merged"
        db.session.flush()
    device = by_fid or by_token
    created = device is None
    if device is None:
        device = Device(fid=fid, token=token)
        db.session.add(device)
    else:
        device.fid = fid or device.fid
        device.token = token or device.token
    # The device belongs to whoever registered it last (a shared or handed-on phone).
    device.member_id = member.id
    device.platform = data["platform"]
    device.app_version = data.get("app_version")
    device.active, device.deactivated_reason = True, None
    device.last_seen_at = utcnow()
    db.session.flush()
    _retire_beyond_cap(member, device)
    return device, created


def _retire_beyond_cap(member: Member, newest: Device) -> None:
    """Past PUSH_MAX_DEVICES_PER_MEMBER, the devices seen longest ago stop getting pushes.

    The oldest go rather than the newest being refused: only the member registers their
    devices, the one registering now is the one in their hand, and an install that has not
    checked in for longest is most likely gone (a reinstall gets a new FID while FCM may still
    take the old one's messages for a while).
    """
    cap = settings.integer(current_app.config, "PUSH_MAX_DEVICES_PER_MEMBER")
    others = db.session.scalars(
        select(Device)
        .where(Device.member_id == member.id, Device.active, Device.id != newest.id)
        .order_by(Device.last_seen_at.desc(), Device.id.desc())
        .offset(cap - 1)
    )
    for device in others:
        device.active, device.deactivated_reason = False, "replaced"


def _lock(member: Member) -> None:
    # One registration at a time per member, so that the cap holds under concurrency.
    db.session.execute(
        select(Member.id).where(Member.id == member.id).with_for_update(key_share=True)
    )


def register_device(member: Member, data: dict) -> tuple[Device, bool]:
    """(device, created): registering again updates the device and moves it to this member.

    An ended membership registers nothing (409 membership_ended): its devices were retired when
    it ended, and nothing is sent to it any more.
    """
    ensure_active(member)
    for _ in range(3):
        try:
            with db.session.begin_nested():
                _lock(member)
                device, created = _register(member, data)
            db.session.commit()
            return device, created
        except IntegrityError:
            # The same fid or token registered concurrently: the other row is there now.
            continue
    raise ApiError(409, "device_conflict", "This device is being registered; try again.")


def member_device(member: Member, public_id: str) -> Device:
    device = db.session.scalar(
        select(Device).where(Device.public_id == public_id, Device.member_id == member.id)
    )
    if device is None:
        raise not_found("device")
    return device


def unregister_device(member: Member, public_id: str) -> None:
    device = member_device(member, public_id)
    if device.active:
        device.active, device.deactivated_reason = False, "unregistered"
    db.session.commit()


def devices_of(member: Member) -> list[Device]:
    return list(
        db.session.scalars(
            select(Device).where(Device.member_id == member.id, Device.active).order_by(Device.id)
        )
    )
