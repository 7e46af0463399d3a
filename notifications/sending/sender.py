"""What every sender does (``PushSender``), and the logging one used in development."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from notifications.sending.outcomes import DeliveryResult, Outcome, SendReport
from notifications.sending.push import Push, build_message

log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PushSender(Protocol):
    def send(self, pushes: Sequence[Push]) -> SendReport: ...

    def close(self) -> None: ...


class LoggingSender:
    """Logs each push and sends nothing: the development default, needs no Firebase project."""

    def __init__(self, *, keep: int = 1000, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.sent: collections.deque[Push] = collections.deque(maxlen=keep)
        self._ids = itertools.count(1)
        self._clock = clock

    def send(self, pushes: Sequence[Push]) -> SendReport:
        now = self._clock()
        results = []
        for push in pushes:
            ttl = push.time_to_live(now)
            if ttl is not None and ttl.total_seconds() < 1:
                results.append(DeliveryResult(push, Outcome.EXPIRED, attempts=0))
                continue
            build_message(push, now)  # fail here, as FCM would, on what it would refuse
            log.info(
                "push (not sent, logging sender) to %s…: %r / %r -> %s",
                push.target[:12],
                push.title,
                push.body,
                push.deep_link,
            )
            self.sent.append(push)
            message_id = f"projects/logging/messages/{next(self._ids)}"
            results.append(DeliveryResult(push, Outcome.SENT, attempts=1, message_id=message_id))
        return SendReport(results)

    def close(self) -> None:
        pass
