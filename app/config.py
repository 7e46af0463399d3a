"""Settings from the environment, read here and nowhere else."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from app.i18n import LANGUAGES

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"

_DEV_SECRET = "dev-only-secret-change-me-in-production"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw is not None else default


class Config:
    """Development defaults; every value can be overridden from the environment."""

    APP_ENV = _env("APP_ENV", "development")
    SECRET_KEY = _env("SECRET_KEY", _DEV_SECRET)
    JWT_SECRET_KEY = _env("JWT_SECRET_KEY") or SECRET_KEY

    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'loyalty.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    REDIS_URL = _env("REDIS_URL")
    CELERY_BROKER_URL = _env("CELERY_BROKER_URL")
    # The rate limiter shares Redis with the workers when there is one; memory otherwise.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI") or (REDIS_URL or "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10 per minute")
    # Reverse proxies in front of the app: their X-Forwarded-For gives the client's address,
    # which the login limit is keyed on. 0 trusts no header.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=_int("JWT_ACCESS_MINUTES", 15))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=_int("JWT_REFRESH_DAYS", 30))
    JWT_ERROR_MESSAGE_KEY = "message"

    # OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
    ARGON2_MEMORY_KIB = _int("ARGON2_MEMORY_KIB", 19456)
    ARGON2_ROUNDS = _int("ARGON2_ROUNDS", 2)

    # Points program defaults, used when the demo or an operator creates the program row.
    PROGRAM_NAME = _env("PROGRAM_NAME", "Lumo Rewards")
    PROGRAM_CURRENCY = _env("PROGRAM_CURRENCY", "EUR")
    SUPPORTED_LANGUAGES = LANGUAGES

    API_TITLE = "Loyalty API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist/"

    MIGRATIONS_DIR = BASE_DIR / "migrations"
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")
    # Feature packages that plug into the core (each has an init_app(app)).
    FEATURES = tuple(
        name.strip()
        for name in (_env("FEATURES", "passes,challenges,notifications") or "").split(",")
        if name.strip()
    )


class TestConfig(Config):
    TESTING = True
    APP_ENV = "test"
    SECRET_KEY = "test-secret-key-long-enough-for-hs256-0123456789"
    JWT_SECRET_KEY = SECRET_KEY
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_STORAGE_URI = "memory://"
    CELERY_BROKER_URL = None
    # Cheap hashes keep the suite fast; production uses the defaults above.
    ARGON2_MEMORY_KIB = 1024
    ARGON2_ROUNDS = 1


def check_production(config: dict) -> None:
    """Refuse to start in production with development secrets or an embedded database."""
    if config.get("APP_ENV") != "production":
        return
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if secret == _DEV_SECRET or len(secret) < 32:
        problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
    jwt_secret = config.get("JWT_SECRET_KEY") or ""
    if jwt_secret == _DEV_SECRET or len(jwt_secret) < 32:
        problems.append("JWT_SECRET_KEY, when set, must be random and at least 32 characters")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL")
    if problems:
        raise RuntimeError("refusing to start in production: " + "; ".join(problems))
