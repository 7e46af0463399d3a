"""The games' rule violations, each with a stable code the API can show as a 4xx.

Kept free of the core so the rules are testable alone; in the integration phase `GameError` can
subclass `app.errors.ApiError` (same attributes) and the handlers will render it unchanged.
"""

from __future__ import annotations

from typing import Any


class GameError(Exception):
    """A request that breaks a game's rules: the client's fault, never a 500."""

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        status: int = 422,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def __repr__(self) -> str:
        return f"GameError({self.code!r}, {self.message!r}, {self.details!r})"
