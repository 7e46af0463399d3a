"""The rules of a pass's versions as Wallet sees them: update tags and Last-Modified (pure)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

# ASCII digits only: str.isdigit() also takes "²" and other scripts' digits, which int()
# refuses or reads; 18 digits always fit the BIGINT column.
_TAG = re.compile(r"[0-9]{1,18}")


def read_tag(since: str | None) -> int | None:
    """The tag a device sent as passesUpdatedSince, or None for no tag or one we never gave
    (then the device gets everything and a good tag back, instead of being stuck)."""
    if since is None or not _TAG.fullmatch(since):
        return None
    return int(since)


def next_modified(previous: datetime | None, now: datetime) -> datetime:
    """The pass's next Last-Modified: whole seconds (an HTTP date has no more) and strictly
    later than the last one, so that If-Modified-Since never hides a second change made within
    the same second."""
    now = now.replace(microsecond=0)
    if previous is not None and previous >= now:
        return previous.replace(microsecond=0) + timedelta(seconds=1)
    return now
