"""The points ledger: the only code that writes entries, lots and the cached balances.

Every write locks the member's row first, so that a member's ledger changes one transaction at a
time, and changes the cached balances in the same transaction as the entries.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, bindparam, func, insert, inspect, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from app import events, settings_cache, transaction_memo
from app.errors import ApiError
from app.extensions import db
from app.ids import new_id
from app.ledger.models import LedgerEntry, PointLot
from app.members import facts
from app.members.models import Member
from app.models_base import utcnow
from app.program.service import program_settings
from app.rows import insert_row, insert_values, loaded

_BY_CARD = "ledger_lock_by_card"
_MOVED = "ledger_moved_members"
# The member's cached totals, moved by every entry (`_move_totals`).
TOTALS = ("points_available", "points_pending", "tier_points")


@dataclass(frozen=True)
class Balances:
    available: int
    pending: int


def lock_member(member_id: int) -> Member:
    """Lock the member's row and reload it: the first lock of every write to a member's points.

    The row is selected alone. Joined to its tier, a row that another transaction changed while
    this one waited for the lock is re-checked by PostgreSQL (READ COMMITTED) against the tier
    row read before the wait: after a tier move the join no longer matches and the outer join
    answers NULL, which left `member.tier` None. Relationships load afterwards, from the row as
    it is now.
    """
    # FOR NO KEY UPDATE: rows that merely reference the member (their foreign keys take KEY
    # SHARE locks) must not deadlock with the balance update.
    stmt = (
        select(Member)
        .where(Member.id == member_id)
        .options(lazyload("*"))
        .with_for_update(of=Member, key_share=True)
    )
    return db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one()


def lock_member_by_card(card_number: str) -> Member | None:
    """A purchase's first lock: the member with this (normalized) card number, as
    `lock_member` takes it, and in the same statement the settings' version (so that the
    settings cache needs no query of its own) and the facts the feature packages registered
    (`app.members.facts`). None when no member has the card."""
    row = db.session.execute(_by_card_statement(), {"card": card_number}).first()
    if row is None:
        return None
    settings_cache.saw_version(row.settings_version)
    facts.remember(row.Member.id, row)
    return row.Member


def _by_card_statement():
    # Built once per app (the facts are the app's): a statement object reused keeps its cache
    # key, which SQLAlchemy would otherwise work out again on every purchase.
    stmt = current_app.extensions.get(_BY_CARD)
    if stmt is None:
        stmt = (
            select(Member, settings_cache.version_column(), *facts.columns())
            .where(Member.card_number == bindparam("card"))
            .options(lazyload("*"))
            .with_for_update(of=Member, key_share=True)
            .execution_options(populate_existing=True)
        )
        current_app.extensions[_BY_CARD] = stmt
    return stmt


def _entry_values(
    member: Member, kind: str, reason: str, ref_type: str, ref_id: str, **deltas
) -> dict:
    return {
        "public_id": new_id("ent"),
        "member_id": member.id,
        "kind": kind,
        "reason": reason,
        "reference_type": ref_type,
        "reference_id": ref_id,
        "available_delta": deltas.get("available", 0),
        "pending_delta": deltas.get("pending", 0),
        "qualifying": deltas.get("qualifying", 0),
        "idempotency_key": deltas.get("idempotency_key"),
        "created_at": deltas.get("at") or utcnow(),
    }


def _entry(
    member: Member, kind: str, reason: str, ref_type: str, ref_id: str, **deltas
) -> LedgerEntry:
    """Write one entry and move the member's cached totals by it, both at once (Core
    statements: the unit of work costs more than they do on every purchase)."""
    values = _entry_values(member, kind, reason, ref_type, ref_id, **deltas)
    entry = insert_row(LedgerEntry, values)
    _move_totals(member, _moves(values, apply=deltas.get("apply", True)))
    return entry


def _moves(values: dict, apply: bool = True) -> dict[str, int]:
    """What an entry moves of the member's totals: the balances (unless the caller moved them
    already) and the tiers' running total (app.tiers.service), in one update of the row."""
    moves = {"tier_points": values["qualifying"]}
    if apply:
        moves |= {
            "points_available": values["available_delta"],
            "points_pending": values["pending_delta"],
        }
    return {name: delta for name, delta in moves.items() if delta}


def _move_totals(member: Member, moves: dict[str, int]) -> None:
    """UPDATE the member's row by these deltas and the instance with it (the member is
    locked: the row holds what the instance says)."""
    if not moves:
        return
    names = tuple(sorted(moves))
    _flush_own_changes(member, names)
    db.session.connection().execute(
        _totals_update(names), {"member_id": member.id, **{f"d_{n}": moves[n] for n in names}}
    )
    _moved(member, moves)


def _flush_own_changes(member: Member, names: tuple[str, ...]) -> None:
    if any(name in inspect(member).committed_state for name in names):
        db.session.flush()  # a change of the instance's own goes first


def _moved(member: Member, moves: dict[str, int]) -> None:
    """The instance follows the row the statements moved."""
    for name, delta in moves.items():
        set_committed_value(member, name, getattr(member, name) + delta)
    # Not a change the session tracks: a SAVEPOINT rolled back must forget it by hand.
    transaction_memo.current().setdefault(_MOVED, set()).add(member)


@functools.cache
def _totals_update(names: tuple[str, ...]):
    # Built once per set of totals: a statement object reused keeps its cache key.
    table = Member.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("member_id"))
        .values({name: table.c[name] + bindparam(f"d_{name}") for name in names})
    )


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_moved_totals(session: Session, previous_transaction) -> None:
    for member in transaction_memo.memo_of(session).pop(_MOVED, ()):
        if member in session:
            session.expire(member, list(TOTALS))


def _points_changed(
    member: Member, delta: int, kind: str, reference_type: str | None = None
) -> None:
    events.publish(
        db.session,
        events.POINTS_CHANGED,
        {
            "member_id": member.id,
            "member_public_id": member.public_id,
            "available": member.points_available,
            "pending": member.points_pending,
            "delta": delta,
            "kind": kind,
            # What the points are for, when one thing caused them ("purchase", "contest", ...).
            "reference_type": reference_type,
        },
    )


def credit(
    member: Member,
    points: int,
    *,
    kind: str,
    reason: str,
    reference_type: str,
    reference_id: str,
    pending_until: datetime | None = None,
    purchase_id: int | None = None,
    qualifying: bool = False,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Add points to a member already locked by the caller, as one lot (pending or available)."""
    now = now or utcnow()
    program = program_settings()
    pending = pending_until is not None and pending_until > now
    values = _entry_values(
        member,
        kind,
        reason,
        reference_type,
        reference_id,
        available=0 if pending else points,
        pending=points if pending else 0,
        qualifying=points if qualifying else 0,
        idempotency_key=idempotency_key,
        at=now,
    )
    lot = {
        "member_id": member.id,
        "purchase_id": purchase_id,
        "points": points,
        "remaining": points,
        "released": not pending,
        "available_at": pending_until if pending else now,
        "expires_at": now + timedelta(days=program.points_validity_days),
    }
    if db.session.get_bind().dialect.name == "postgresql":
        entry = _credit_in_one_statement(member, values, lot)
    else:
        entry = insert_row(LedgerEntry, values)
        insert_values(PointLot, lot | {"entry_id": entry.id})
        _move_totals(member, _moves(values))
    _points_changed(member, points, kind, reference_type)
    return entry


def _credit_in_one_statement(member: Member, values: dict, lot: dict) -> LedgerEntry:
    """PostgreSQL: the entry, its lot and the member's totals in one statement (data-modifying
    CTEs), one round trip where SQLite needs three."""
    moves = _moves(values)
    _flush_own_changes(member, tuple(moves))
    params = {f"e_{k}": v for k, v in values.items()} | {f"lot_{k}": v for k, v in lot.items()}
    params |= {f"d_{n}": moves.get(n, 0) for n in TOTALS} | {"member_id": member.id}
    entry_id = db.session.connection().execute(_credit_statement(), params).scalar_one()
    entry = loaded(LedgerEntry, {"id": entry_id, **values})
    _moved(member, moves)
    return entry


@functools.cache
def _credit_statement():
    entries, lots, members = LedgerEntry.__table__, PointLot.__table__, Member.__table__
    entry_columns = [c.name for c in entries.c if c.name != "id"]
    lot_columns = [c.name for c in lots.c if c.name not in ("id", "entry_id")]
    written = (
        insert(entries)
        .values({n: bindparam(f"e_{n}", type_=entries.c[n].type) for n in entry_columns})
        .returning(entries.c.id)
        .cte("entry")
    )
    lot = (
        insert(lots)
        .from_select(
            [*lot_columns, "entry_id"],
            select(
                *[bindparam(f"lot_{n}", type_=lots.c[n].type) for n in lot_columns], written.c.id
            ),
        )
        .cte("lot")
    )
    return (
        update(members)
        .where(members.c.id == bindparam("member_id"))
        .values({n: members.c[n] + bindparam(f"d_{n}", type_=Integer) for n in TOTALS})
        .returning(select(written.c.id).scalar_subquery())
        .add_cte(written)
        .add_cte(lot)
    )


def award_points(
    member_id: int,
    points: int,
    *,
    idempotency_key: str,
    kind: str = "bonus",
    reason: str,
    reference_type: str,
    reference_id: str,
    pending_until: datetime | None = None,
    purchase_id: int | None = None,
) -> LedgerEntry:
    """Give points exactly once per idempotency key (games, offers, referrals).

    With `pending_until` in the future the award is a pending lot that the release job makes
    available then, so that `reverse_award` can still take it back meanwhile. `purchase_id`
    ties the lot to one of the member's own purchases: a refund of that purchase then takes
    from it too (`reverse_purchase_points`); leave it out for an award reversed on its own.
    """
    if points <= 0:
        raise ValueError("an award is a positive number of points")
    member = lock_member(member_id)
    existing = db.session.scalar(
        select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            return credit(
                member,
                points,
                kind=kind,
                reason=reason,
                reference_type=reference_type,
                reference_id=reference_id,
                pending_until=pending_until,
                purchase_id=purchase_id,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        return db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key)
        ).one()


def reversal_key(idempotency_key: str) -> str:
    """The key of the entry that reverses the award made under `idempotency_key`."""
    return f"{idempotency_key}:reversal"


def reverse_award(idempotency_key: str, reason: str) -> LedgerEntry | None:
    """Take back, exactly once, what `award_points` gave under `idempotency_key`.

    The award's own lot goes first (still pending, or what is left of it once released), then
    other available points, never below zero: points already spent stay spent. The reverse
    entry is written even when nothing could be taken, so a replay finds it and takes nothing
    again. None when no award was made under the key.
    """
    award = db.session.scalar(
        select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key)
    )
    if award is None:
        return None
    member = lock_member(award.member_id)
    key = reversal_key(idempotency_key)
    # Read after the lock: a reversal that committed while this one waited is seen here.
    existing = db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            lot = db.session.scalar(
                select(PointLot)
                .where(PointLot.entry_id == award.id)
                .execution_options(populate_existing=True)
            )
            left = award.available_delta + award.pending_delta
            from_pending = from_available = 0
            if lot is not None and lot.remaining:
                take = min(lot.remaining, left)
                lot.remaining -= take
                left -= take
                if lot.released:
                    from_available = take
                else:
                    from_pending = take
            more = min(left, member.points_available - from_available)
            if more > 0:
                from_available += _consume_lots(member.id, more)
            entry = _entry(
                member,
                "reverse",
                reason,
                award.reference_type,
                award.reference_id,
                available=-from_available,
                pending=-from_pending,
                idempotency_key=key,
            )
            db.session.flush()
    except IntegrityError:
        return db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.idempotency_key == key)
        ).one()
    if from_available + from_pending:
        _points_changed(member, -(from_available + from_pending), "reverse", award.reference_type)
    return entry


def debit(
    member_id: int,
    points: int,
    *,
    kind: str,
    reason: str,
    reference_type: str,
    reference_id: str,
) -> LedgerEntry:
    """Take available points, oldest-expiring first; refuses to go below zero."""
    if points <= 0:
        raise ValueError("a debit is a positive number of points")
    taken = db.session.execute(
        update(Member)
        .where(Member.id == member_id, Member.points_available >= points)
        .values(points_available=Member.points_available - points)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ApiError(409, "insufficient_points", "Not enough points available.")
    # The update above holds the row lock and changed the balance; this reloads the row.
    member = lock_member(member_id)
    entry = _entry(
        member, kind, reason, reference_type, reference_id, available=-points, apply=False
    )
    _consume_lots(member.id, points)
    _points_changed(member, -points, kind, reference_type)
    return entry


def _consume_lots(member_id: int, points: int, first_purchase_id: int | None = None) -> int:
    """Take `points` from available lots, FIFO by expiry; returns what could be taken."""
    lots = list(
        db.session.scalars(
            select(PointLot)
            .where(PointLot.member_id == member_id, PointLot.released, PointLot.remaining > 0)
            .order_by(PointLot.expires_at, PointLot.id)
        )
    )
    if first_purchase_id is not None:
        lots.sort(key=lambda lot: lot.purchase_id != first_purchase_id)
    left = points
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        lot.remaining -= take
        left -= take
    return points - left


def reverse_purchase_points(
    member_id: int, purchase_id: int, purchase_public_id: str, points: int, reason: str
) -> tuple[int, int]:
    """Take back what a refunded purchase earned: pending first, then available.

    Returns (reversed, uncollected): points already spent elsewhere cannot be taken below zero.
    """
    member = lock_member(member_id)
    lots = list(
        db.session.scalars(
            select(PointLot)
            .where(PointLot.purchase_id == purchase_id, PointLot.remaining > 0)
            .order_by(PointLot.released, PointLot.id)
        )
    )
    from_pending = 0
    left = points
    for lot in lots:
        if lot.released or left == 0:
            continue
        take = min(lot.remaining, left)
        lot.remaining -= take
        from_pending += take
        left -= take
    from_available = min(left, member.points_available)
    if from_available:
        _consume_lots(member.id, from_available, first_purchase_id=purchase_id)
    reversed_total = from_pending + from_available
    # Written even when nothing could be taken back: the refunded spend stops counting
    # towards the member's tier either way.
    _entry(
        member,
        "reverse",
        reason,
        "purchase",
        purchase_public_id,
        available=-from_available,
        pending=-from_pending,
        qualifying=-points,
    )
    if reversed_total:
        _points_changed(member, -reversed_total, "reverse", "purchase")
    return reversed_total, points - reversed_total


def adjust(member_id: int, delta: int, reason: str, admin_public_id: str) -> LedgerEntry:
    if delta == 0:
        raise ApiError(422, "validation_error", "An adjustment must change the balance.")
    if delta < 0:
        return debit(
            member_id,
            -delta,
            kind="adjust",
            reason=reason,
            reference_type="admin",
            reference_id=admin_public_id,
        )
    member = lock_member(member_id)
    return credit(
        member,
        delta,
        kind="adjust",
        reason=reason,
        reference_type="admin",
        reference_id=admin_public_id,
    )


def forfeit_all(member_id: int, reason: str, reference_type: str, reference_id: str) -> int:
    """Take every point a member still has, available and pending, in one `forfeit` entry:
    an erased member's points stop counting as the program's liability. The lots are emptied
    with it, so the ledger check still holds. Returns the points forfeited (0: no entry)."""
    member = lock_member(member_id)
    available, pending = member.points_available, member.points_pending
    if not (available or pending):
        return 0
    for lot in db.session.scalars(
        select(PointLot).where(PointLot.member_id == member_id, PointLot.remaining > 0)
    ):
        lot.remaining = 0
    _entry(
        member,
        "forfeit",
        reason,
        reference_type,
        reference_id,
        available=-available,
        pending=-pending,
    )
    _points_changed(member, -(available + pending), "forfeit")
    return available + pending


def _sweep_lots(conditions: list, settle: Callable[[Member, list[PointLot]], int]) -> int:
    """Visit the lots matching `conditions` member by member, each under its member's lock and
    committed on its own, so a long sweep never holds many locks; returns the points moved."""
    moved = 0
    while True:
        member_ids = list(
            db.session.scalars(
                select(PointLot.member_id)
                .where(*conditions)
                .group_by(PointLot.member_id)
                .limit(500)
            )
        )
        if not member_ids:
            return moved
        for member_id in member_ids:
            member = lock_member(member_id)
            lots = list(
                db.session.scalars(
                    select(PointLot).where(PointLot.member_id == member_id, *conditions)
                )
            )
            moved += settle(member, lots)
            db.session.commit()


def release_due(now: datetime | None = None) -> int:
    """Move pending lots whose return window has passed into the available balance."""

    def release(member: Member, lots: list[PointLot]) -> int:
        total = sum(lot.remaining for lot in lots)
        for lot in lots:
            lot.released = True
        if total:
            _entry(
                member,
                "release",
                "Return window over",
                "lots",
                str(lots[0].id),
                available=total,
                pending=-total,
            )
            _points_changed(member, 0, "release")
        return total

    now = now or utcnow()
    return _sweep_lots([~PointLot.released, PointLot.available_at <= now], release)


def expire_due(now: datetime | None = None) -> int:
    """Expire what is left of lots past their validity."""

    def expire(member: Member, lots: list[PointLot]) -> int:
        total = sum(lot.remaining for lot in lots)
        for lot in lots:
            lot.remaining = 0
        if total:
            _entry(member, "expire", "Points expired", "lots", str(lots[0].id), available=-total)
            _points_changed(member, -total, "expire")
        return total

    now = now or utcnow()
    return _sweep_lots(
        [PointLot.released, PointLot.remaining > 0, PointLot.expires_at <= now], expire
    )


def expiring_soon(member_id: int, within: timedelta = timedelta(days=30)) -> int:
    horizon = utcnow() + within
    return db.session.scalar(
        select(func.coalesce(func.sum(PointLot.remaining), 0)).where(
            PointLot.member_id == member_id,
            PointLot.released,
            PointLot.remaining > 0,
            PointLot.expires_at <= horizon,
        )
    )


def qualifying_points(member_id: int, since: datetime) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.qualifying), 0)).where(
            LedgerEntry.member_id == member_id, LedgerEntry.created_at >= since
        )
    )


def history(member_id: int, before_id: int | None, limit: int) -> list[LedgerEntry]:
    stmt = select(LedgerEntry).where(LedgerEntry.member_id == member_id)
    if before_id is not None:
        stmt = stmt.where(LedgerEntry.id < before_id)
    return list(db.session.scalars(stmt.order_by(LedgerEntry.id.desc()).limit(limit)))


def integrity_problems() -> list[dict]:
    """Every rule of the ledger check that is broken (an empty list is healthy)."""
    from app.ledger.checks import ledger_problems

    return ledger_problems()
