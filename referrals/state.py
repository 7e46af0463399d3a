"""Whether the current app runs the referrals package: its event subscribers and its part of
the demo are registered process-wide (app.events, app.seed), and one process (the test suite,
a worker) may hold apps with and without it."""

from __future__ import annotations

from flask import Flask, current_app

EXTENSION = "referrals"


def install(app: Flask) -> None:
    app.extensions[EXTENSION] = True


def enabled() -> bool:
    return EXTENSION in current_app.extensions
