"""What the feature packages need to know about a member on the till's path, read in the
statement that locks the member, so that a purchase asks no more questions of the database.

A feature registers a named SQL expression correlated to `members.id` (e.g. "has this member a
device that wants points pushes", "the serial of the member's Apple pass") in its `init_app`;
`app.ledger.service.lock_member_by_card` selects them with the member's row, and the feature's
event subscribers read them back with `known()`. Anything not read that way answers `UNKNOWN`,
and the subscriber asks the database itself as before: the facts are a shortcut, never the only
way. They hold for the transaction that read them (under the member's lock; a device or pass
registered by a transaction that commits meanwhile is the same race as one registered just
after the purchase).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement

from app import transaction_memo

_EXTENSION = "member_facts"
_MEMO = "member_facts"
UNKNOWN: Any = object()
Expression = Callable[[], ColumnElement]


def register(app: Flask, name: str, expression: Expression) -> None:
    """`expression()` answers the fact as a scalar SQL expression correlated to members.id."""
    app.extensions.setdefault(_EXTENSION, {})[name] = expression


def columns() -> list[ColumnElement]:
    """This app's facts as labelled columns, to select beside the member."""
    registered = current_app.extensions.get(_EXTENSION, {})
    return [make().label(f"fact_{name}") for name, make in registered.items()]


def remember(member_id: int, row: Any) -> None:
    """Keep the facts a row selected with `columns()` answered, for this transaction."""
    registered = current_app.extensions.get(_EXTENSION, {})
    mapping = row._mapping
    transaction_memo.current().setdefault(_MEMO, {})[member_id] = {
        name: mapping[f"fact_{name}"] for name in registered
    }


def known(member_id: int, name: str) -> Any:
    """The fact as read with the member's lock in this transaction, or UNKNOWN."""
    return transaction_memo.current().get(_MEMO, {}).get(member_id, {}).get(name, UNKNOWN)


def known_false(member_id: int, name: str) -> bool:
    """Whether the fact was read and says no (false, none, zero): the subscriber's cheap exit.
    Not read says nothing."""
    value = known(member_id, name)
    return value is not UNKNOWN and not value
