"""Settings that change rarely (the program, tiers, earning rules, stores, the games that run),
kept in each process between requests and dropped when any process changes them.

Invalidation is a version stamp in the database, not a timer: every transaction that changes a
watched table (through the ORM: a flush of a watched model, or an ORM `update()`/`delete()` on
it) also writes a new random stamp to `settings_version.version`, in the same transaction. A
process keeps what it loaded together with the stamp it read before loading, and trusts it only
while the stamp it reads later is the same. The stamp is read once per transaction, or folded
into a statement the transaction makes anyway (`version_column()`: the till's API key lookup
and the purchase's member lock do), so a committed change is seen by the very next transaction
of every process on every machine that reads the settings: the bound is zero, whatever the
number of gunicorn workers. A change made outside the ORM (raw SQL in psql) is not stamped: it
is picked up after `MAX_AGE`, or at once when the same SQL also runs
`UPDATE settings_version SET version = version + 1`.

Within the transaction that changes them, the settings are read from the database, never from
the cache, so that the change is seen before its commit; nothing read then is kept.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Table, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app import transaction_memo
from app.extensions import db
from app.rows import loaded

T = TypeVar("T")

# A safety net for changes made outside the ORM: nothing is kept longer than this.
MAX_AGE = 300.0
_EXTENSION = "settings_cache"
_VERSION_KEY = "settings_version"
_DIRTY_KEY = "settings_dirty"
_BUMP_KEY = "settings_bump"
_watched: set[Table] = set()


class SettingsVersion(db.Model):
    """One row: a new random stamp in every transaction that changes a watched table. No row
    reads as 0."""

    __tablename__ = "settings_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


@dataclass(frozen=True)
class _Entry:
    version: int
    loaded_at: float
    value: Any


def watch(*models: type) -> None:
    """Changes to these models' tables bump the version (process-wide, like event handlers)."""
    for model in models:
        _watched.add(model.__table__)


def version_column():
    """The current version as a column, to fold into a query the caller makes anyway; hand
    what it answers to `saw_version`."""
    return (
        select(SettingsVersion.version)
        .where(SettingsVersion.id == 1)
        .scalar_subquery()
        .label("settings_version")
    )


def saw_version(version: int | None) -> None:
    """The version this transaction read (folded into another query)."""
    transaction_memo.current()[_VERSION_KEY] = version or 0


def _current_version(session: Session) -> int:
    memo = transaction_memo.memo_of(session)
    if _VERSION_KEY not in memo:
        found = session.scalar(select(SettingsVersion.version).where(SettingsVersion.id == 1))
        memo[_VERSION_KEY] = found or 0
    return memo[_VERSION_KEY]


def changed_in_this_transaction() -> bool:
    return bool(transaction_memo.current().get(_DIRTY_KEY))


def cached(name: str, load: Callable[[], T]) -> T:
    """What `load()` answers, kept per app and process until the version changes.

    `load` must answer plain, immutable data (no ORM objects: they belong to one session)."""
    session = db.session
    if transaction_memo.memo_of(session).get(_DIRTY_KEY):
        return load()
    store: dict[str, _Entry] = current_app.extensions.setdefault(_EXTENSION, {})
    version = _current_version(session)
    entry = store.get(name)
    now = time.monotonic()
    if entry is not None and entry.version == version and now - entry.loaded_at < MAX_AGE:
        return entry.value
    # Read after the version: what is loaded is at least as new as the version it is kept under.
    value = load()
    store[name] = _Entry(version, now, value)
    return value


class Frozen:
    """A cached row read without the ORM: its column values as read-only attributes (shared by
    the threads of a process: nothing may change them)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{name}: cached settings are read-only")


def values_of(row: Any) -> dict[str, Any]:
    """A row's column values: what `cached` keeps of an ORM object."""
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}


def attach(model: type[T], values: dict[str, Any]) -> T:
    """The session's instance of a row known from the cache, made without reading it: the
    session's own if it has one, else a new one persistent as if just loaded (changed, it is
    flushed as an UPDATE like any other). The caller holds it for the transaction
    (`app.transaction_memo`): the session keeps unchanged instances by weak reference only."""
    session = db.session
    existing = session.identity_map.get(session.identity_key(model, values["id"]))
    if existing is not None:
        return existing
    # Lists and dicts (JSON columns) stay the cache's: the instance gets copies of its own.
    return loaded(
        model, {k: copy.deepcopy(v) if isinstance(v, list | dict) else v for k, v in values.items()}
    )


def bump(session: Session | None = None) -> None:
    """Mark this transaction as changing the settings: the version moves when it commits."""
    memo = transaction_memo.memo_of(session or db.session)
    memo[_BUMP_KEY] = True
    memo[_DIRTY_KEY] = True


def _bump_statement(session: Session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # A random stamp, not a counter: a counter starts again at 1 when the row is deleted (a
    # test emptying its tables, a restored backup) and would meet a version a process holds.
    # 31 bits: an INTEGER column on every database; two stamps meet once in two thousand million.
    stamp = secrets.randbits(31) or 1
    stmt = insert(SettingsVersion).values(id=1, version=stamp)
    return stmt.on_conflict_do_update(index_elements=["id"], set_={"version": stamp})


def _watched_object(obj: Any) -> bool:
    return getattr(obj, "__table__", None) in _watched


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    # The session's lists still show what this flush wrote.
    written = [*session.new, *session.deleted]
    changed = [obj for obj in session.dirty if _watched_object(obj) and session.is_modified(obj)]
    if changed or any(_watched_object(obj) for obj in written):
        bump(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table in _watched:
        bump(state.session)


@event.listens_for(Session, "before_commit")
def _stamp(session: Session) -> None:
    if session.in_nested_transaction():
        return
    # Pending changes are flushed after this hook: flush them now to see them.
    session.flush()
    if transaction_memo.memo_of(session).pop(_BUMP_KEY, False):
        session.execute(_bump_statement(session))
