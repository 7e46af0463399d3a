"""An app with the analytics package (and the push package, whose campaigns have lifts), on
SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app.extensions import db
from tests.conftest import _truncate_pg, make_app

FEATURES = ("notifications", "analytics")


@pytest.fixture
def app(backend, tmp_path) -> Iterator[Flask]:
    app = make_app(backend, tmp_path, FEATURES=FEATURES, ANALYTICS_BREAKAGE_MIN_POINTS=100)
    yield app
    if backend == "postgresql":
        _truncate_pg(app)
    else:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def ctx(app) -> Iterator[Flask]:
    with app.app_context():
        yield app
