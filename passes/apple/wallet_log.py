"""What Wallet on devices reports to /v1/log about our passes, kept bounded for operators.

The only code that writes `pass_log_entries`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models_base import utcnow
from app.request_hygiene import escape_for_log
from passes.apple.models import PassLogEntry

log = logging.getLogger("passes")


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


@dataclass(frozen=True)
class LogPage:
    """Newest first (schemas.LogPageSchema); the last entry's id is the next page's `before`."""

    entries: list[PassLogEntry]


def recent_log_lines(limit: int, before_id: int | None = None) -> LogPage:
    query = select(PassLogEntry).order_by(PassLogEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(PassLogEntry.id < before_id)
    return LogPage(list(db.session.scalars(query)))
