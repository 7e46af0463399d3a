"""The devices Wallet registered for a pass, each with the push token of that registration.

The only code that writes `apple_devices` and `apple_registrations`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError
from app.extensions import db
from app.members.models import Member
from app.members.service import ensure_active
from passes.apple.models import AppleDevice, ApplePass, AppleRegistration
from passes.apple.tags import read_tag
from passes.state import current_state


@dataclass(frozen=True)
class UpdatedPasses:
    """What a device asking "what changed?" is told (schemas.SerialNumbersSchema)."""

    serial_numbers: list[str]
    last_updated: str


def register_device(
    pass_: ApplePass, device_library_id: str, push_token: str, max_devices: int
) -> bool:
    """Register the device for the pass; True when new. Commits.

    Registering again only changes this registration's push token. A new registration past
    `max_devices` is refused (409 too_many_devices) rather than evicting an older device: the
    pass file carries its own credentials, so anyone holding a copy could otherwise push the
    member's own phone out. Registrations of devices that are gone free their place when APNs
    reports their token gone.
    """
    member = db.session.get(Member, pass_.member_id)
    if member is not None:
        ensure_active(member)  # an ended membership's pass is void: nothing more to send it
    # One registration at a time per pass, so that the count below holds.
    db.session.execute(select(ApplePass.id).where(ApplePass.id == pass_.id).with_for_update())
    device = db.session.scalar(
        select(AppleDevice).where(AppleDevice.device_library_id == device_library_id)
    )
    if device is not None:
        registration = db.session.scalar(
            select(AppleRegistration).where(
                AppleRegistration.device_id == device.id, AppleRegistration.pass_id == pass_.id
            )
        )
        if registration is not None:
            registration.push_token = push_token
            db.session.commit()
            return False
    registered = db.session.scalar(
        select(func.count(AppleRegistration.id)).where(AppleRegistration.pass_id == pass_.id)
    )
    if registered >= max_devices:
        db.session.rollback()
        raise ApiError(
            409,
            "too_many_devices",
            f"This pass is registered on {max_devices} devices already.",
            {"max_devices": max_devices},
        )
    if device is None:
        device = _device(device_library_id)
    try:
        with db.session.begin_nested():
            db.session.add(
                AppleRegistration(device_id=device.id, pass_id=pass_.id, push_token=push_token)
            )
        created = True
    except IntegrityError:
        created = False  # the same device registered twice at once (SQLite has no row lock)
    db.session.commit()
    return created


def _device(device_library_id: str) -> AppleDevice:
    try:
        with db.session.begin_nested():
            device = AppleDevice(device_library_id=device_library_id)
            db.session.add(device)
        return device
    except IntegrityError:
        # Registered for another pass at the same moment.
        return db.session.scalars(
            select(AppleDevice).where(AppleDevice.device_library_id == device_library_id)
        ).one()


def unregister_device(pass_: ApplePass, device_library_id: str) -> None:
    device_id = db.session.scalar(
        select(AppleDevice.id).where(AppleDevice.device_library_id == device_library_id)
    )
    if device_id is not None:
        db.session.execute(
            delete(AppleRegistration).where(
                AppleRegistration.device_id == device_id, AppleRegistration.pass_id == pass_.id
            )
        )
        _drop_devices_without_registrations([device_id])
    db.session.commit()


def _drop_devices_without_registrations(device_ids: list[int]) -> None:
    still_used = select(AppleRegistration.device_id).where(
        AppleRegistration.device_id.in_(device_ids)
    )
    db.session.execute(
        delete(AppleDevice).where(AppleDevice.id.in_(device_ids), AppleDevice.id.not_in(still_used))
    )


def updated_serials(
    device_library_id: str, pass_type: str, since: str | None
) -> UpdatedPasses | None:
    """The serials changed since the tag and the new tag, or None when nothing matches.

    A tag we never handed out (not a number) is treated as no tag: the device gets everything
    and a good tag back, instead of being stuck.
    """
    state = current_state()
    if state is None or pass_type != state.settings.pass_type_identifier:
        return None
    query = (
        select(ApplePass.serial_number, ApplePass.update_tag)
        .join(AppleRegistration, AppleRegistration.pass_id == ApplePass.id)
        .join(AppleDevice, AppleDevice.id == AppleRegistration.device_id)
        .where(AppleDevice.device_library_id == device_library_id)
        .order_by(ApplePass.update_tag)
    )
    tag = read_tag(since)
    if tag is not None:
        query = query.where(ApplePass.update_tag > tag)
    rows = list(db.session.execute(query))
    if not rows:
        return None
    # The tag is a string on the wire (Apple's lastUpdated), opaque to the device.
    return UpdatedPasses([serial for serial, _ in rows], str(max(tag for _, tag in rows)))


def registered_tokens(pass_id: int) -> list[str]:
    """The push tokens the pass's registrations gave, each once."""
    return list(
        db.session.scalars(
            select(AppleRegistration.push_token)
            .where(AppleRegistration.pass_id == pass_id)
            .group_by(AppleRegistration.push_token)
            .order_by(func.min(AppleRegistration.id))
        )
    )


def forget_push_tokens(tokens: list[str]) -> int:
    """APNs said these tokens are gone: drop every registration that gave one; the count.

    Matching on the token (not the device) keeps a registration that was renewed meanwhile
    with a new token.
    """
    device_ids = list(
        db.session.scalars(
            select(AppleRegistration.device_id)
            .where(AppleRegistration.push_token.in_(tokens))
            .distinct()
        )
    )
    removed = db.session.execute(
        delete(AppleRegistration).where(AppleRegistration.push_token.in_(tokens))
    ).rowcount
    if device_ids:
        _drop_devices_without_registrations(device_ids)
    db.session.commit()
    return removed
