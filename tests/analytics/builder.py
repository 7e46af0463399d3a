"""A small program written straight into the tables with the times a test chooses (the
services stamp `now`): members, purchases, refunds, ledger entries and lots, the cached
balances kept equal to the entries."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.ledger.models import LedgerEntry, PointLot
from app.members.models import Member
from app.purchases.models import Purchase, Refund
from app.seed import ensure_tiers
from app.stores.models import Region, Store
from app.tiers.models import Tier

_serial = itertools.count(1)


def at(text: str) -> datetime:
    """'2026-01-12' or '2026-01-12 15:30' as UTC."""
    fmt = "%Y-%m-%d %H:%M" if " " in text else "%Y-%m-%d"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC) + (
        timedelta(hours=12) if " " not in text else timedelta()
    )


class Builder:
    def __init__(self) -> None:
        ensure_tiers()
        self.tiers = {t.code: t for t in db.session.scalars(select(Tier))}
        self.regions: dict[str, Region] = {}

    def store(self, code: str, region: str, kind: str = "physical") -> Store:
        if region not in self.regions:
            self.regions[region] = Region(name=region.title(), code=region)
            db.session.add(self.regions[region])
            db.session.flush()
        store = Store(name=code.title(), code=code, region_id=self.regions[region].id, kind=kind)
        db.session.add(store)
        db.session.flush()
        return store

    def member(
        self,
        name: str,
        joined: datetime,
        home: Store | None,
        tier: str = "silver",
        password: str | None = None,
    ) -> Member:
        from app.auth.passwords import hash_password

        n = next(_serial)
        secret = hash_password(password) if password else "x"
        user = User(email=f"{name}{n}@test.example", password_hash=secret, role="member")
        db.session.add(user)
        db.session.flush()
        member = Member(
            user_id=user.id,
            name=name,
            language="en",
            card_number=f"{n:016d}",
            home_store_id=home.id if home else None,
            tier_id=self.tiers[tier].id,
            tier_since=joined,
            joined_at=joined,
        )
        db.session.add(member)
        db.session.flush()
        return member

    def entry(
        self,
        member: Member,
        kind: str,
        when: datetime,
        available: int = 0,
        pending: int = 0,
        ref: tuple[str, str] = ("admin", "test"),
    ) -> LedgerEntry:
        entry = LedgerEntry(
            member_id=member.id,
            kind=kind,
            available_delta=available,
            pending_delta=pending,
            reason=kind,
            reference_type=ref[0],
            reference_id=ref[1],
            created_at=when,
        )
        member.points_available += available
        member.points_pending += pending
        db.session.add(entry)
        db.session.flush()
        return entry

    def lot(
        self,
        member: Member,
        entry: LedgerEntry,
        points: int,
        remaining: int,
        expires: datetime,
        released: bool = True,
    ) -> PointLot:
        lot = PointLot(
            member_id=member.id,
            entry_id=entry.id,
            points=points,
            remaining=remaining,
            released=released,
            available_at=entry.created_at,
            expires_at=expires,
        )
        db.session.add(lot)
        db.session.flush()
        return lot

    def purchase(
        self,
        member: Member,
        store: Store,
        channel: str,
        amount_minor: int,
        occurred: datetime,
        recorded: datetime | None = None,
        *,
        pending: bool = False,
        remaining: int | None = None,
        expires: datetime | None = None,
    ) -> Purchase:
        """A purchase earning a point per whole unit, as one earn entry and its lot."""
        recorded = recorded or occurred
        points = amount_minor // 100
        purchase = Purchase(
            member_id=member.id,
            store_id=store.id,
            channel=channel,
            receipt_id=f"R{next(_serial)}",
            amount_minor=amount_minor,
            currency="EUR",
            occurred_at=occurred,
            points_earned=points,
            recorded_by="test",
            created_at=recorded,
        )
        db.session.add(purchase)
        db.session.flush()
        entry = self.entry(
            member,
            "earn",
            recorded,
            available=0 if pending else points,
            pending=points if pending else 0,
            ref=("purchase", purchase.public_id),
        )
        self.lot(
            member,
            entry,
            points,
            points if remaining is None else remaining,
            expires or occurred + timedelta(days=365),
            released=not pending,
        )
        return purchase

    def refund(self, purchase: Purchase, amount_minor: int, when: datetime, points: int) -> Refund:
        purchase.refunded_minor += amount_minor
        purchase.points_reversed += points
        member = db.session.get(Member, purchase.member_id)
        self.entry(member, "reverse", when, available=-points, ref=("purchase", purchase.public_id))
        refund = Refund(
            purchase_id=purchase.id,
            amount_minor=amount_minor,
            points_reversed=points,
            created_at=when,
        )
        db.session.add(refund)
        db.session.flush()
        return refund
