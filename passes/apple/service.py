"""The passes domain: passes, device registrations, update tags, Wallet's log, Google objects.

The only code that writes the passes tables. HTTP handlers (api.py, web_service.py) and the
background jobs (tasks.py) call it.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, inspect, select, update
from sqlalchemy.exc import IntegrityError

from app import outbox
from app.errors import ApiError
from app.extensions import db
from app.ids import new_id
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.request_hygiene import escape_for_log
from passes.cards import member_card
from passes.models import (
    AppleDevice,
    ApplePass,
    AppleRegistration,
    GooglePass,
    PassLogEntry,
    PassUpdateCounter,
)
from passes.state import PassesState, current_state
from passes.tokens import new_authentication_token, tokens_match

log = logging.getLogger("passes")

APNS_TOPIC = "passes.apns_push"
GOOGLE_TOPIC = "passes.google_sync"
AUTH_SCHEME = "ApplePass "
# Set on the session when jobs were enqueued with a delay: tasks.py kicks the outbox later.
DELAYED_KICK_KEY = "passes_delayed_kick"
# Compared against when the serial is unknown, so that an unknown serial costs the same.
_NO_TOKEN = new_authentication_token()


# -- update tags ------------------------------------------------------------------------------


def next_update_tag() -> int:
    """The next tag; holds the counter's row lock until the caller's transaction ends."""
    bump = (
        update(PassUpdateCounter)
        .where(PassUpdateCounter.id == 1)
        .values(value=PassUpdateCounter.value + 1)
        .returning(PassUpdateCounter.value)
        .execution_options(synchronize_session=False)
    )
    value = db.session.execute(bump).scalar()
    if value is None:
        _create_counter()
        value = db.session.execute(bump).scalar_one()
    return int(value)


def _create_counter() -> None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(PassUpdateCounter)
        .values(id=1, value=0)
        .on_conflict_do_nothing(index_elements=["id"])
    )


def _next_modified(previous: datetime | None) -> datetime:
    # Whole seconds (an HTTP date has no more) and strictly later than the last one, so that
    # If-Modified-Since can never hide a second change made within the same second.
    now = utcnow().replace(microsecond=0)
    if previous is not None and previous >= now:
        return previous.replace(microsecond=0) + timedelta(seconds=1)
    return now


def mark_updated(pass_: ApplePass) -> None:
    """Give the pass a new tag and Last-Modified; the caller commits (and so frees the counter)."""
    tag = next_update_tag()
    if inspect(pass_).persistent:
        # Re-read under the counter's lock: a concurrent bump of this pass has committed.
        db.session.refresh(pass_)
    pass_.update_tag = tag
    pass_.updated_at = _next_modified(pass_.updated_at)


# -- Apple passes -----------------------------------------------------------------------------


def apple_pass_for(member: Member) -> ApplePass:
    """The member's pass, made on first request. Commits."""
    found = db.session.scalar(select(ApplePass).where(ApplePass.member_id == member.id))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            created = ApplePass(
                member_id=member.id,
                authentication_token=new_authentication_token(),
                update_tag=0,
            )
            db.session.add(created)
            mark_updated(created)
        db.session.commit()
        return created
    except IntegrityError:
        db.session.rollback()  # another request made it first
        return db.session.scalars(select(ApplePass).where(ApplePass.member_id == member.id)).one()


def build_apple_pass(state: PassesState, pass_: ApplePass, member: Member) -> bytes:
    from flask import current_app

    from passes.cards import program_info

    if state.signer is None:
        raise ApiError(503, "apple_pass_unavailable", "Apple passes cannot be signed right now.")
    program = program_info(state.settings, tuple(current_app.config["SUPPORTED_LANGUAGES"]))
    card = member_card(member, pass_.serial_number, pass_.authentication_token)
    return state.builder(program).build(card)


def _unauthorized() -> ApiError:
    # One answer for a wrong token, an unknown serial and a foreign pass type alike.
    return ApiError(401, "unauthorized", "Authorization needed.")


def authenticate(pass_type: str, serial: str, authorization: str | None) -> ApplePass:
    """The pass that URL names, if the header carries its very token; 401 otherwise."""
    state = current_state()
    presented = None
    if authorization and authorization.startswith(AUTH_SCHEME):
        presented = authorization[len(AUTH_SCHEME) :].strip()
    found = None
    if state is not None and pass_type == state.settings.pass_type_identifier:
        found = db.session.scalar(select(ApplePass).where(ApplePass.serial_number == serial))
    expected = found.authentication_token if found is not None else _NO_TOKEN
    if not tokens_match(presented, expected) or found is None:
        raise _unauthorized()
    return found


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
) -> tuple[list[str], int] | None:
    """(serials changed since the tag, the new tag), or None when nothing matches.

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
    # ASCII digits only: str.isdigit() also takes "²" and other scripts' digits, which int()
    # refuses or reads; 18 digits always fit the BIGINT column.
    if since is not None and re.fullmatch(r"[0-9]{1,18}", since):
        query = query.where(ApplePass.update_tag > int(since))
    rows = list(db.session.execute(query))
    if not rows:
        return None
    return [serial for serial, _ in rows], max(tag for _, tag in rows)


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


# -- Wallet's log -----------------------------------------------------------------------------


def store_log_lines(
    lines: list[str], remote_addr: str | None, max_lines: int, max_chars: int
) -> int:
    """Keep what Wallet reported, bounded; the number of entries stored.

    Cut rather than refused: Wallet neither reads the answer nor sends again, so a refusal
    would only lose the start of a message, which is the useful part. A cut line ends with how
    much was cut; past `max_lines`, one entry says how many lines were dropped.
    """
    kept = [_cut(line, max_chars) for line in lines[:max_lines]]
    if len(lines) > max_lines:
        kept.append(f"[{len(lines) - max_lines} more lines not kept]")
    remote_addr = remote_addr[:64] if remote_addr else None
    now = utcnow()
    db.session.add_all(
        PassLogEntry(message=line, remote_addr=remote_addr, created_at=now) for line in kept
    )
    db.session.commit()
    for line in kept:
        # A device's text, escaped: a newline in it cannot start a forged line of our log.
        log.info("wallet log from %s: %s", escape_for_log(remote_addr), escape_for_log(line))
    return len(kept)


def _cut(line: str, max_chars: int) -> str:
    if len(line) <= max_chars:
        return line
    return f"{line[:max_chars]}… [{len(line) - max_chars} more characters]"


def recent_log_lines(limit: int, before_id: int | None = None) -> list[PassLogEntry]:
    query = select(PassLogEntry).order_by(PassLogEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(PassLogEntry.id < before_id)
    return list(db.session.scalars(query))


# -- Google objects ---------------------------------------------------------------------------


def google_pass_for(member: Member, state: PassesState) -> GooglePass:
    """The member's object id, chosen on first request (the object is made at Google later)."""
    found = db.session.scalar(select(GooglePass).where(GooglePass.member_id == member.id))
    if found is not None:
        return found
    suffix = new_id("gw")
    try:
        with db.session.begin_nested():
            created = GooglePass(
                member_id=member.id, object_id=f"{state.google.issuer_id}.{suffix}"
            )
            db.session.add(created)
        db.session.commit()
        return created
    except IntegrityError:
        db.session.rollback()
        return db.session.scalars(select(GooglePass).where(GooglePass.member_id == member.id)).one()


def google_serial(google_pass: GooglePass) -> str:
    return google_pass.object_id.split(".", 1)[1]


# -- reacting to the core's events ------------------------------------------------------------


def on_member_changed(payload: dict) -> None:
    """points.changed, tier.changed, member.ended: inside the transaction that made the change.

    Writes the outbox jobs that refresh the member's passes. The dedupe keys coalesce a burst
    (several changes before the job ran) into one push per device and one PATCH.
    """
    state = current_state()
    if state is None:
        return
    member_id = payload["member_id"]
    delay = state.settings.update_delay_seconds
    found = db.session.execute(
        select(
            select(ApplePass.serial_number)
            .where(ApplePass.member_id == member_id)
            .scalar_subquery(),
            select(func.count(GooglePass.id))
            .where(GooglePass.member_id == member_id)
            .scalar_subquery(),
        )
    ).one()
    serial, google = found
    if serial is not None:
        outbox.enqueue(APNS_TOPIC, {"serial": serial}, f"apns:{serial}", delay)
    if google:
        outbox.enqueue(GOOGLE_TOPIC, {"member_id": member_id}, f"gw:{member_id}", delay)
    if (serial is not None or google) and delay > 0:
        db.session.info[DELAYED_KICK_KEY] = delay
