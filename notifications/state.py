"""What each app holds for the push package (its sender), and whether an app runs it at all.

The FCM sender is one per process and service account (its HTTP/2 connection and event loop
are shared by every send job of the process); a test may put any PushSender in the app's state.
"""

from __future__ import annotations

import contextlib
import os
import threading

import firebase_admin
from flask import Flask, current_app

from notifications import settings
from notifications.sending.factory import create_sender
from notifications.sending.fcm import FcmSender
from notifications.sending.sender import LoggingSender, PushSender

EXTENSION = "notifications"

_lock = threading.Lock()
_shared: dict[tuple, FcmSender] = {}
# Moved on by close_senders: an app that kept a sender from before then asks again instead of
# sending through a closed one (whose firebase-admin app is deleted).
_generation = 0


def install(app: Flask) -> None:
    app.extensions[EXTENSION] = {"sender": None}


def enabled() -> bool:
    """Whether this app runs the push feature: subscriptions are process-wide, and one process
    (the test suite) may hold apps with and without it."""
    return EXTENSION in current_app.extensions


def current_sender() -> PushSender:
    """The app's sender: FcmSender with credentials (one per process and account), else a
    LoggingSender of the app's own. Tests may put any PushSender in the app's extension."""
    state = current_app.extensions[EXTENSION]
    # A sender put there by hand (tests) has no generation: it is kept.
    if state.get("sender") is None or state.get("generation", _generation) != _generation:
        state["generation"] = _generation
        env = settings.sender_environment(current_app.config)
        if not env["FIREBASE_CREDENTIALS_FILE"]:
            state["sender"] = LoggingSender()
        else:
            key = (*sorted(env.items()), os.getpid())
            with _lock:
                sender = _shared.get(key)
                if sender is None:
                    sender = create_sender(env)
                    assert isinstance(sender, FcmSender)
                    _shared[key] = sender
            state["sender"] = sender
    return state["sender"]


def close_senders() -> None:
    """Close the process's FCM senders and their firebase-admin apps (tests, shutdown)."""
    global _generation
    with _lock:
        senders = list(_shared.values())
        _shared.clear()
        _generation += 1
    for sender in senders:
        sender.close()
        with contextlib.suppress(ValueError):
            firebase_admin.delete_app(sender.app)
