"""What links a member to a person and a phone, read from the tables there are.

The app's installations (`push_devices`, the notifications package) and Wallet devices
(`apple_registrations`, the passes package) are read by table name when those packages'
tables are loaded, so this package imports neither and works without them.
"""

from __future__ import annotations

from sqlalchemy import Table, select

from app.auth.models import User
from app.extensions import db
from app.members.models import Member
from referrals import rules


def _table(name: str) -> Table | None:
    return db.metadata.tables.get(name)


def _devices(member_id: int) -> list[rules.Signal]:
    devices = _table("push_devices")
    if devices is None:
        return []
    fids = db.session.scalars(
        select(devices.c.fid).where(devices.c.member_id == member_id, devices.c.fid.is_not(None))
    )
    return [rules.Signal(rules.DEVICE, fid) for fid in fids]


def _wallets(member_id: int) -> list[rules.Signal]:
    passes, registrations, devices = (
        _table(n) for n in ("apple_passes", "apple_registrations", "apple_devices")
    )
    if passes is None or registrations is None or devices is None:
        return []
    ids = db.session.scalars(
        select(devices.c.device_library_id)
        .join(registrations, registrations.c.device_id == devices.c.id)
        .join(passes, passes.c.id == registrations.c.pass_id)
        .where(passes.c.member_id == member_id)
    )
    return [rules.Signal(rules.WALLET, i) for i in ids]


def of_member(member_id: int) -> list[str]:
    """The member's signals now, in their stored form (`kind:hash`)."""
    row = db.session.execute(
        select(User.email, Member.card_number)
        .join(User, User.id == Member.user_id)
        .where(Member.id == member_id)
    ).one()
    found = [
        rules.Signal(rules.EMAIL, rules.email_key(row.email)),
        rules.Signal(rules.CARD, row.card_number),
        *_devices(member_id),
        *_wallets(member_id),
    ]
    return rules.stored_signals(found)
