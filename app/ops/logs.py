"""Log lines: plain text by default, one JSON object per line with ``LOG_FORMAT=json``.

Every line written during a request carries its request id. Secrets are kept out twice: the
access line names no header, body or query string, and both formats mask the password of any
URL and the value of any bearer token that a message happens to contain. Text that came from a
client is escaped (JSON escapes it; the text format writes control characters as ``\\xNN``), so
a line can never be forged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from celery.signals import after_setup_logger, after_setup_task_logger
from flask import Flask, g, has_request_context

FORMATS = ("text", "json")
REQUEST_ID_HEADER = "X-Request-ID"
# What proxies and tracing systems send (UUIDs, hex, ALB's "Root=1-..."); nothing that could
# break a log line or a header.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{7,127}")

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@")
_BEARER = re.compile(r"(?i)(?P<head>\b(?:bearer|applepass)\s+)[^\s\"',;]+")
_SECRET_KEY = re.compile(r"(?i)passw(or)?d|secret|token|authorization|api_?key|cookie")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# What every LogRecord has; anything else on a record was given with `extra=` and is written.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_for(incoming: str | None, trusted: bool) -> str:
    """The incoming X-Request-ID when a trusted proxy set it and it is sane, else a new one."""
    if trusted and incoming and _REQUEST_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


# Outside a request: the id of the request whose job is running (app.outbox sets it).
_job_request_id: ContextVar[str | None] = ContextVar("job_request_id", default=None)


def current_request_id() -> str | None:
    if has_request_context():
        found = g.get("request_id")
        if found:
            return found
    return _job_request_id.get()


@contextmanager
def request_id_of_job(request_id: str | None) -> Iterator[None]:
    """Log lines (and jobs written) in the block carry the id of the request that wrote the
    job being run; nothing changes inside a request, whose own id wins."""
    token = _job_request_id.set(request_id)
    try:
        yield
    finally:
        _job_request_id.reset(token)


def redact(text: str) -> str:
    text = _URL_PASSWORD.sub(r"\g<head>***@", text)
    return _BEARER.sub(r"\g<head>***", text)


def escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    fields = {}
    for key, value in vars(record).items():
        if key in _RECORD_FIELDS or key == "request_id" or key.startswith("_"):
            continue
        fields[key] = "***" if _SECRET_KEY.search(key) else value
    return fields


def _request_id(record: logging.LogRecord) -> str | None:
    found = getattr(record, "request_id", None)
    if found and found != "-":
        return found
    return current_request_id()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": _request_id(record),
        }
        for key, value in _extras(record).items():
            entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        # ASCII only: no byte a terminal or a line-based shipper could misread gets through.
        return json.dumps(entry, default=str, ensure_ascii=True)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(redact(record.message))
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return redact(super().formatException(ei))


def make_formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (a test's capture, gunicorn's redirect)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(app: Flask) -> None:
    """The root logger writes to stderr in the app's format; configuring again replaces it
    (tests make many apps in one process)."""
    log_format = app.config.get("LOG_FORMAT", "text")
    if log_format not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    _celery_format["format"] = log_format
    after_setup_logger.connect(_format_celery_handlers, weak=False, dispatch_uid="ops-logs")
    after_setup_task_logger.connect(
        _format_celery_handlers, weak=False, dispatch_uid="ops-task-logs"
    )


_celery_format = {"format": "text"}


def _format_celery_handlers(logger: logging.Logger | None = None, **_: Any) -> None:
    """A Celery worker replaces the root logger's handlers with its own: give them ours."""
    if logger is None or _celery_format["format"] != "json":
        return
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
