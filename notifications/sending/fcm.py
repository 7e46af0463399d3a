"""The FCM sender: pushes through firebase-admin, in batches, with the results sorted."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Literal, TypeVar

import firebase_admin
from firebase_admin import exceptions, messaging

from notifications.sending.firebase import close_async_client
from notifications.sending.outcomes import (
    Classified,
    DeliveryResult,
    Outcome,
    SendReport,
    classify,
)
from notifications.sending.push import Push, build_messages
from notifications.sending.sender import utcnow

log = logging.getLogger(__name__)

BATCH_LIMIT = 500  # firebase-admin refuses more messages than this in one send_each call
Mode = Literal["async", "threads"]
T = TypeVar("T")


class _LoopThread:
    """One event loop on a daemon thread, for the life of the process.

    firebase-admin's async client (httpx) keeps its HTTP/2 connection bound to the loop that
    opened it: a second ``asyncio.run(send_each_async(...))`` on the same app fails every message
    with "Event loop is closed". So every async send of an app runs on this one loop. After a
    fork (Celery prefork) the child starts its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._ensure()).result()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=_run_loop, args=(loop,), daemon=True)
                thread.start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    @property
    def started(self) -> bool:
        return self._loop is not None and self._pid == os.getpid()

    def stop(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()


class FcmSender:
    """Sends pushes through firebase-admin, in batches of at most 500, and sorts the results.

    ``mode="async"`` (the default) uses ``send_each_async``: HTTP/2, one connection, no threads,
    ``concurrent_batches`` calls in flight. ``mode="threads"`` uses ``send_each``: a thread per
    message over HTTP/1.1 connections. bench/fanout.py measured async with batches of 100, one
    at a time, fastest and cheapest in CPU: httpcore rescans every queued request on each
    connection event, so queueing far more requests than the connection's concurrent streams
    (commonly 100) costs CPU for nothing.

    Retryable failures (UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED, timeouts) are sent again up to
    ``max_attempts`` times in all, waiting with exponential backoff and jitter, never less than
    FCM's Retry-After. Note that firebase-admin itself already retries 500 and 503 answers four
    times (about 7 s of backoff) before a message reaches us as UNAVAILABLE or INTERNAL. What
    still fails comes back as RETRY with ``SendReport.retry_after``, for the background job to
    reschedule instead of holding a worker.
    """

    def __init__(
        self,
        app: firebase_admin.App,
        *,
        mode: Mode = "async",
        batch_size: int = 100,
        concurrent_batches: int = 1,
        max_attempts: int = 3,
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= batch_size <= BATCH_LIMIT:
            raise ValueError(f"batch_size must be 1 to {BATCH_LIMIT}")
        if mode not in ("async", "threads"):
            raise ValueError(f"unknown mode {mode!r}")
        self.app = app
        self.mode = mode
        self.batch_size = batch_size
        self.concurrent_batches = max(1, concurrent_batches)
        self.max_attempts = max(1, max_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._loop = _LoopThread()

    def send(self, pushes: Sequence[Push]) -> SendReport:
        if not pushes:
            return SendReport()
        self._warm_credential()
        final: dict[int, DeliveryResult] = {}
        pending = list(enumerate(pushes))
        retry_after: float | None = None
        for attempt in range(1, self.max_attempts + 1):
            now = self._clock()
            live = []
            for index, push in pending:
                ttl = push.time_to_live(now)
                if ttl is not None and ttl.total_seconds() < 1:
                    final[index] = DeliveryResult(push, Outcome.EXPIRED, attempts=attempt - 1)
                else:
                    live.append((index, push))
            # Built afresh on each attempt so that a retried offer's TTL still ends with it.
            messages = build_messages([push for _, push in live], now)
            verdicts = self._send_messages(messages)
            again = []
            for (index, push), verdict in zip(live, verdicts, strict=True):
                result = DeliveryResult(
                    push,
                    verdict.outcome,
                    attempts=attempt,
                    message_id=verdict.message_id,
                    error_code=verdict.error_code,
                    error_message=verdict.error_message,
                    retry_after=verdict.retry_after,
                )
                final[index] = result
                if verdict.outcome is Outcome.RETRY:
                    again.append((index, push))
            if not again:
                retry_after = None
                break
            retry_after = self._backoff(attempt, [final[i].retry_after for i, _ in again])
            if attempt < self.max_attempts:
                log.info("retrying %d pushes in %.1fs", len(again), retry_after)
                self._sleep(retry_after)
            pending = again
        return SendReport([final[i] for i in range(len(pushes))], retry_after=retry_after)

    def close(self) -> None:
        """Close the HTTP clients and the loop. The firebase app itself stays, for its owner."""
        if self._loop.started:
            self._loop.run(close_async_client(self.app))
        self._loop.stop()

    def _warm_credential(self) -> None:
        # Without this, the first send_each of a process (or of each hour) has every one of its
        # up to 500 threads see an expired credential and fetch its own access token.
        credential = self.app.credential.get_credential()
        if not credential.valid:
            try:
                self.app.credential.get_access_token()
            except Exception as error:  # the batch will fail and be retried; say why here
                log.warning("could not fetch an FCM access token: %s", error)

    def _backoff(self, attempt: int, retry_afters: list[float | None]) -> float:
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        delay *= self._rng.uniform(0.8, 1.2)  # jitter, so that many workers do not align
        floor = max((r for r in retry_afters if r is not None), default=0.0)
        return max(delay, floor)

    def _send_messages(self, messages: list[messaging.Message]) -> list[Classified]:
        batches = [
            messages[i : i + self.batch_size] for i in range(0, len(messages), self.batch_size)
        ]
        if self.mode == "async":
            return self._loop.run(self._send_async(batches))
        verdicts: list[Classified] = []
        for batch in batches:
            verdicts.extend(self._verdicts(batch, lambda b: messaging.send_each(b, app=self.app)))
        return verdicts

    async def _send_async(self, batches: list[list[messaging.Message]]) -> list[Classified]:
        limit = asyncio.Semaphore(self.concurrent_batches)

        async def one(batch: list[messaging.Message]) -> list[Classified]:
            async with limit:
                try:
                    response = await messaging.send_each_async(batch, app=self.app)
                except exceptions.FirebaseError as error:
                    return _whole_batch_failed(batch, error)
                return [classify(r) for r in response.responses]

        results = await asyncio.gather(*(one(b) for b in batches))
        return [verdict for batch in results for verdict in batch]

    def _verdicts(
        self,
        batch: list[messaging.Message],
        send: Callable[[list[messaging.Message]], messaging.BatchResponse],
    ) -> list[Classified]:
        try:
            response = send(batch)
        except exceptions.FirebaseError as error:
            return _whole_batch_failed(batch, error)
        return [classify(r) for r in response.responses]


def _whole_batch_failed(batch: list[messaging.Message], error: Exception) -> list[Classified]:
    # send_each raises, instead of answering per message, when something outside the HTTP calls
    # broke (the credential could not be refreshed, the event loop went away). Whether any of
    # the batch went out is unknown; it is all marked for a retry (the collapse key folds a
    # duplicate on the device), while earlier batches keep their own results.
    log.warning("FCM batch of %d failed as a whole: %s", len(batch), error)
    return [Classified(Outcome.RETRY, error_code="BATCH_FAILED", error_message=str(error))] * len(
        batch
    )
