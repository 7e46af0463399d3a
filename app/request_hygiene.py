"""What every request must pass before a handler sees it: a body within the size limit, and no
character that a text column cannot hold or that only does harm.

PostgreSQL's text types refuse NUL, and psycopg cannot encode a lone UTF-16 surrogate (JSON's
"\\ud800"): either one reached a query as a 500. Other control characters are stored, but no
name, email, id or message needs them and they forge lines in logs and terminals. Checking here,
once, covers every endpoint, those of the feature packages and those still to be written.
Also here: `escape_for_log`, for writing a client's text into the app log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors import ApiError

# NUL and the other C0 controls but tab, newline and carriage return; DEL; C1 controls; lone
# surrogates (a well-formed pair in JSON becomes one character, so only a lone half remains).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# In a path or a query string not even a tab or a newline is text: no id or parameter has one.
_FORBIDDEN_IN_URL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Header values arrive as latin-1, so bytes 0x80-0x9f there are parts of UTF-8 characters.
_FORBIDDEN_IN_HEADERS = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
# What a log line must not carry as is: every control character, the Unicode line and
# paragraph separators, bidirectional overrides and isolates, lone surrogates, and the
# backslash (so that an escape in the output always means one made here).
_LOG_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\\\\]"
)

F = TypeVar("F", bound=Callable[..., Any])


class _InvalidCharacters(Exception):
    def __init__(self, field: str) -> None:
        self.field = field


def escape_for_log(text: object, limit: int | None = None) -> str:
    """`text` as one inert log line: unsafe characters as \\xNN / \\uNNNN, cut at `limit`."""
    if text is None:
        return "-"
    value = str(text)
    extra = 0
    if limit is not None and len(value) > limit:
        value, extra = value[:limit], len(value) - limit
    escaped = _LOG_UNSAFE.sub(_escape_char, value)
    return f"{escaped}…(+{extra})" if extra else escaped


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def body_limit(max_bytes: int | Callable[[], int]) -> Callable[[F], F]:
    """A smaller body limit for one view (an int, or a function of the app's config)."""

    def decorate(view: F) -> F:
        view.max_body_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return decorate


def install(app: Flask) -> None:
    """Set the body limit from MAX_BODY_BYTES and check every request before its handler."""
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_BODY_BYTES"])
    app.before_request(check_request)


def check_request() -> None:
    _apply_view_limit()
    if _FORBIDDEN_IN_URL.search(request.path):
        raise _refuse("path", _path_field())
    for key, value in request.args.items(multi=True):
        if _FORBIDDEN_IN_URL.search(key) or _FORBIDDEN_IN_URL.search(value):
            raise _refuse("query", escape_for_log(key))
    for key, value in request.headers.items():
        if _FORBIDDEN_IN_HEADERS.search(value):
            raise _refuse("header", key)
    try:
        _check_body()
    except _InvalidCharacters as bad:
        raise _refuse("body", bad.field) from None


def _apply_view_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_body_bytes", None)
    if limit is not None:
        limit = limit() if callable(limit) else limit
        request.max_content_length = min(int(limit), current_app.config["MAX_CONTENT_LENGTH"])


def _check_body() -> None:
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            _check_text(key, escape_for_log(key))
            _check_text(value, escape_for_log(key))
        for key, upload in request.files.items(multi=True):
            _check_text(upload.filename or "", escape_for_log(key))
        return
    # Read through Flask so that MAX_CONTENT_LENGTH applies: a declared length over it is a 413
    # before anything is read.
    data = request.get_data(cache=True)
    if not data:
        return
    limit = request.max_content_length
    # A streamed (chunked) body: werkzeug stops reading at the limit and hands over the first
    # `limit` bytes as if they were all. One more byte in the input means there were more.
    streamed = request.content_length is None
    if streamed and limit is not None and len(data) >= limit and _more_input():
        raise RequestEntityTooLarge()
    try:
        document = json.loads(data)
    except RecursionError:
        raise ApiError(400, "malformed_json", "The request body is nested too deeply.") from None
    except ValueError:
        # Not JSON: the handler answers that; only a bad character is ours to refuse.
        _check_text(data.decode("utf-8", "replace"), "")
        return
    for field, text in _strings(document):
        if _FORBIDDEN.search(text):
            raise _InvalidCharacters(field)


def _more_input() -> bool:
    return bool(request.environ["wsgi.input"].read(1))


def _strings(document: Any) -> Iterator[tuple[str, str]]:
    """Every string in a JSON document, keys included, with where it is: `a.b[2].c`.

    Iterative, so that a deeply nested document cannot exhaust the stack here.
    """
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{where}.{escape_for_log(key)}" if where else escape_for_log(key)
                yield child, key
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))


def _check_text(text: str, field: str) -> None:
    if _FORBIDDEN.search(text):
        raise _InvalidCharacters(field)


def _path_field() -> str | None:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and _FORBIDDEN_IN_URL.search(value):
            return name
    return None


def _refuse(location: str, field: str | None) -> ApiError:
    details: dict[str, str] = {"location": location}
    if field:
        details["field"] = field
    return ApiError(
        422,
        "invalid_characters",
        "The request contains characters that are not allowed (control characters or "
        "unpaired surrogates).",
        details,
    )
