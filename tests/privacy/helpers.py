"""What the members' data tests share: a search of the whole database for a text, and totals."""

from __future__ import annotations

from sqlalchemy import JSON, String, Text, cast, func, select

from app.extensions import db


def columns_holding(text: str) -> list[str]:
    """`table.column` of every text, varchar and JSON column of every table (all that the
    app's metadata knows: the core's and every loaded feature's) whose value contains `text`."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, (String, JSON)):
                continue
            value = cast(column, Text) if isinstance(column.type, JSON) else column
            hits = db.session.scalar(
                select(func.count()).select_from(table).where(value.contains(text))
            )
            if hits:
                found.append(f"{table.name}.{column.name}")
    return found


def program_totals() -> dict:
    """What the program's accounts add up to: purchases, refunds and the ledger by kind."""
    from app.ledger.models import LedgerEntry
    from app.purchases.models import Purchase, Refund

    purchases = db.session.execute(
        select(
            func.count(Purchase.id),
            func.coalesce(func.sum(Purchase.amount_minor), 0),
            func.coalesce(func.sum(Purchase.refunded_minor), 0),
            func.coalesce(func.sum(Purchase.points_earned), 0),
        )
    ).one()
    refunds = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_minor), 0)))
    by_kind = {
        kind: (available, pending, qualifying)
        for kind, available, pending, qualifying in db.session.execute(
            select(
                LedgerEntry.kind,
                func.sum(LedgerEntry.available_delta),
                func.sum(LedgerEntry.pending_delta),
                func.sum(LedgerEntry.qualifying),
            ).group_by(LedgerEntry.kind)
        )
    }
    return {"purchases": tuple(purchases), "refunds": refunds, "ledger": by_kind}
