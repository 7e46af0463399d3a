"""The app as gunicorn serves it (wsgi:app), with a count of the SQL it sends per request.

For bench/earn.py only: every statement the request's thread sends through SQLAlchemy
(`before_cursor_execute`), and the transactions it begins and commits (psycopg sends BEGIN and
COMMIT as round trips of their own), are counted and returned in the answer's headers
`X-Bench-Statements` and `X-Bench-Transactions`. Work a broker's worker does is not the
request's and is not counted; work the embedded default runs in the request after commit is.
"""

from __future__ import annotations

import threading

from sqlalchemy import event

from app.extensions import db
from wsgi import app as flask_app

_local = threading.local()


def _count(name: str) -> None:
    counts = getattr(_local, "counts", None)
    if counts is not None:
        counts[name] += 1


with flask_app.app_context():
    _engine = db.engine
event.listen(_engine, "before_cursor_execute", lambda *args: _count("statements"))
event.listen(_engine, "begin", lambda conn: _count("transactions"))


def app(environ, start_response):
    _local.counts = {"statements": 0, "transactions": 0}

    def counted_start_response(status, headers, exc_info=None):
        counts = _local.counts
        headers = [
            *headers,
            ("X-Bench-Statements", str(counts["statements"])),
            ("X-Bench-Transactions", str(counts["transactions"])),
        ]
        return start_response(status, headers, exc_info)

    try:
        return flask_app(environ, counted_start_response)
    finally:
        _local.counts = None
