"""The games' settings: environment variables with development defaults (no credentials)."""

from __future__ import annotations

import os
from typing import Any


def configure(config: Any) -> None:
    # Leaderboards use Redis sorted sets where a Redis URL is set, indexed SQL otherwise.
    config.setdefault("GAMES_REDIS_URL", os.environ.get("GAMES_REDIS_URL", config.get("REDIS_URL")))
    config.setdefault("GAMES_REDIS_PREFIX", os.environ.get("GAMES_REDIS_PREFIX", "games"))
    # Network latency between "submit" on the phone and the request arriving.
    config.setdefault(
        "GAMES_QUIZ_GRACE_SECONDS", float(os.environ.get("GAMES_QUIZ_GRACE_SECONDS", "5"))
    )
    # How often Celery beat looks for contests whose end has passed.
    config.setdefault(
        "GAMES_CLOSE_INTERVAL_SECONDS", float(os.environ.get("GAMES_CLOSE_INTERVAL_SECONDS", "60"))
    )
