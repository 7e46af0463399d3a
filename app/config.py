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


def _float(name: str, default: float) -> float:
    raw = _env(name)
    return float(raw) if raw is not None else default


def _bool(name: str, default: bool) -> bool:
    raw = (_env(name) or "").lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise RuntimeError(f"{name}={raw!r} is neither true nor false")


def _hour_minute(name: str, default: str) -> tuple[int, int]:
    raw = _env(name, default) or default
    hour, sep, minute = raw.partition(":")
    if not (sep and hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise RuntimeError(f"{name}={raw!r} is not HH:MM")
    return int(hour), int(minute)


CONSENT_PURPOSES = ("marketing_push", "email", "data_processing", "terms")


def _consent_versions(name: str) -> dict[str, str]:
    """ "terms=2025-01,email=2": the version of each consent text shown now ("1" when unset)."""
    versions = dict.fromkeys(CONSENT_PURPOSES, "1")
    for item in (_env(name) or "").split(","):
        if not item.strip():
            continue
        purpose, sep, version = item.partition("=")
        if not sep or purpose.strip() not in versions or not version.strip():
            raise RuntimeError(f"{name}: {item!r} is not <purpose>=<version> of {CONSENT_PURPOSES}")
        versions[purpose.strip()] = version.strip()
    return versions


class Config:
    """Development defaults; every value can be overridden from the environment."""

    # Unset is not development: only an explicit APP_ENV=development (which `make run` sets) may
    # fall back to the committed development secret; see check_settings.
    APP_ENV = _env("APP_ENV")
    SECRET_KEY = _env("SECRET_KEY")
    # Falls back to SECRET_KEY when unset.
    JWT_SECRET_KEY = _env("JWT_SECRET_KEY")

    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'loyalty.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    REDIS_URL = _env("REDIS_URL")
    CELERY_BROKER_URL = _env("CELERY_BROKER_URL")
    # The rate limiter shares Redis with the workers when there is one; memory otherwise.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI") or (REDIS_URL or "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: each worker goes on limiting in its own memory (and looks for Redis again now
    # and then) rather than answering every limited request with a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10 per minute")
    # Failed logins per account (the email as typed, known or not): past it the account is locked
    # for the rest of the window, with the same answer for every email.
    LOGIN_ACCOUNT_LIMIT = _env("LOGIN_ACCOUNT_LIMIT", "5 per 15 minutes")
    # Each sign-up costs an argon2 hash (19 MiB): per client address.
    SIGNUP_RATE_LIMIT = _env("SIGNUP_RATE_LIMIT", "10 per hour")
    # Reset requests and confirmations per client address, and reset mails per email address.
    PASSWORD_RESET_RATE_LIMIT = _env("PASSWORD_RESET_RATE_LIMIT", "10 per hour")
    PASSWORD_RESET_EMAIL_LIMIT = _env("PASSWORD_RESET_EMAIL_LIMIT", "3 per hour")
    PASSWORD_RESET_MINUTES = _int("PASSWORD_RESET_MINUTES", 30)
    # Where the reset mail sends the member: the app's deep link (or a web page) with the token.
    PASSWORD_RESET_URL = _env("PASSWORD_RESET_URL", "loyalty://reset-password?token={token}")

    # Mail: SMTP when SMTP_HOST is set (production requires it), else a sender that logs.
    SMTP_HOST = _env("SMTP_HOST")
    SMTP_PORT = _int("SMTP_PORT", 587)
    SMTP_USERNAME = _env("SMTP_USERNAME")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
    SMTP_TIMEOUT_SECONDS = _int("SMTP_TIMEOUT_SECONDS", 10)
    MAIL_FROM = _env("MAIL_FROM")
    # Reverse proxies in front of the app: their X-Forwarded-For gives the client's address,
    # which the login limit is keyed on. 0 trusts no header.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    # The largest request body read, in bytes (Content-Length or chunked); larger is a 413.
    # The biggest legitimate bodies (an admin's quiz or campaign in four languages) are a few
    # tens of KiB; a 1 MiB cap leaves room and keeps a flood of large bodies cheap to refuse.
    MAX_BODY_BYTES = _int("MAX_BODY_BYTES", 1024 * 1024)

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
    # Operations (app/ops). "json": one JSON object per line, for a log shipper; else text.
    LOG_FORMAT = _env("LOG_FORMAT", "text")
    # /metrics wants "Authorization: Bearer <token>" when set; without one it is open in
    # development and tests only, and refused anywhere else.
    METRICS_TOKEN = _env("METRICS_TOKEN")
    # Several gunicorn workers: prometheus-client keeps each one's values in files here (it
    # reads the variable itself, at import: it must be in the environment). Unset: one process.
    PROMETHEUS_MULTIPROC_DIR = _env("PROMETHEUS_MULTIPROC_DIR")
    # Each /readyz check (and the outbox query of a scrape) is given this long.
    READINESS_TIMEOUT_SECONDS = _float("READINESS_TIMEOUT_SECONDS", 2.0)
    # A Celery worker serves its own /metrics (task outcomes, pushes) here when a port is set.
    WORKER_METRICS_PORT = _int("WORKER_METRICS_PORT", 0)
    WORKER_METRICS_HOST = _env("WORKER_METRICS_HOST", "127.0.0.1")
    # Members' data (app/consents, app/privacy, app/retention). The version of each consent's
    # text the app shows now: a new version of the terms is recorded when agreed to.
    CONSENT_TEXT_VERSIONS = _consent_versions("CONSENT_TEXT_VERSIONS")
    # Retention: how long rows are kept, in days; pruned daily (beat) or `flask retention run`,
    # in batches of RETENTION_BATCH_SIZE rows, each committed on its own.
    RETENTION_BATCH_SIZE = _int("RETENTION_BATCH_SIZE", 500)
    RETENTION_IDEMPOTENCY_DAYS = _int("RETENTION_IDEMPOTENCY_DAYS", 7)
    RETENTION_OUTBOX_DAYS = _int("RETENTION_OUTBOX_DAYS", 7)
    RETENTION_RESET_TOKEN_DAYS = _int("RETENTION_RESET_TOKEN_DAYS", 7)
    RETENTION_PASS_LOG_DAYS = _int("RETENTION_PASS_LOG_DAYS", 30)
    RETENTION_PUSH_DELIVERY_DAYS = _int("RETENTION_PUSH_DELIVERY_DAYS", 180)
    # Community (community/): how long a process keeps the live purchase-triggered surveys
    # before it reads them again (its own admin changes drop them at once), and how often
    # beat closes polls past their end and settles events that began.
    COMMUNITY_TRIGGER_CACHE_SECONDS = _float("COMMUNITY_TRIGGER_CACHE_SECONDS", 30.0)
    COMMUNITY_JOB_INTERVAL_SECONDS = _float("COMMUNITY_JOB_INTERVAL_SECONDS", 60.0)
    # Referrals: the link a member shares (a web page the app claims as a universal link, so it
    # opens the app when installed) and the app's own deep link; {code} is the member's code.
    REFERRAL_SHARE_URL = _env("REFERRAL_SHARE_URL", "https://lumo.example/join?code={code}")
    REFERRAL_DEEP_LINK = _env("REFERRAL_DEEP_LINK", "loyalty://join?code={code}")
    # Analytics (analytics/): the nightly aggregation at ANALYTICS_RUN_AT (UTC, "HH:MM") sums
    # each UTC day once it is ANALYTICS_GRACE_MINUTES over (transactions begun before
    # midnight have committed), ANALYTICS_BATCH_DAYS days per transaction when catching up.
    # Lifts are kept for the return report ANALYTICS_LIFT_WINDOW_DAYS after a campaign's or an
    # offer's start. A cohort with fewer points redeemed or expired than
    # ANALYTICS_BREAKAGE_MIN_POINTS takes the pooled breakage rate.
    ANALYTICS_RUN_AT = _hour_minute("ANALYTICS_RUN_AT", "01:30")
    ANALYTICS_GRACE_MINUTES = _int("ANALYTICS_GRACE_MINUTES", 60)
    ANALYTICS_BATCH_DAYS = _int("ANALYTICS_BATCH_DAYS", 31)
    ANALYTICS_LIFT_WINDOW_DAYS = _int("ANALYTICS_LIFT_WINDOW_DAYS", 14)
    ANALYTICS_BREAKAGE_MIN_POINTS = _int("ANALYTICS_BREAKAGE_MIN_POINTS", 1000)
    # Holdout groups (app.holdout): the key of the hash that draws them. Unset: derived from
    # SECRET_KEY (rotating that would then redraw the groups of offers still running).
    HOLDOUT_SALT = _env("HOLDOUT_SALT")
    # The operators' console and the till (console/, at /console): its login is a session
    # cookie, kept to the console's paths, HttpOnly, SameSite=Lax, and Secure in production
    # (always) or when CONSOLE_COOKIE_SECURE says so (a development server behind https).
    SESSION_COOKIE_NAME = "loyalty_console"
    SESSION_COOKIE_PATH = "/console"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = APP_ENV == "production" or _bool("CONSOLE_COOKIE_SECURE", False)
    # A console login lasts a working day; its server-side session can end it earlier
    # (logout, deactivation).
    CONSOLE_SESSION_HOURS = _int("CONSOLE_SESSION_HOURS", 10)
    # Feature packages that plug into the core (each has an init_app(app)).
    FEATURES = tuple(
        name.strip()
        for name in (
            _env(
                "FEATURES", "passes,challenges,notifications,community,referrals,console,analytics"
            )
            or ""
        ).split(",")
        if name.strip()
    )


class TestConfig(Config):
    TESTING = True
    APP_ENV = "test"
    SECRET_KEY = "test-secret-key-long-enough-for-hs256-0123456789"
    JWT_SECRET_KEY = SECRET_KEY
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_STORAGE_URI = "memory://"
    # Tests sign many members up from one address; the limit's own test sets it low.
    SIGNUP_RATE_LIMIT = "10000 per hour"
    SMTP_HOST = None
    MAIL_FROM = None
    CELERY_BROKER_URL = None
    # Cheap hashes keep the suite fast; production uses the defaults above.
    ARGON2_MEMORY_KIB = 1024
    ARGON2_ROUNDS = 1


ENVIRONMENTS = ("development", "test", "production")


def check_settings(config: dict) -> None:
    """Fail closed: refuse to start without the secrets, and in production without what it needs.

    Only APP_ENV=development may sign tokens with the committed development secret; unset or
    any other environment must bring its own. An unknown APP_ENV (a typo of "production") is
    refused rather than run as something less strict.
    """
    env = config.get("APP_ENV")
    if env is not None and env not in ENVIRONMENTS:
        raise RuntimeError(
            f"refusing to start: APP_ENV={env!r} is not one of {', '.join(ENVIRONMENTS)}"
        )
    if env == "development":
        config["SECRET_KEY"] = config.get("SECRET_KEY") or _DEV_SECRET
    if not config.get("JWT_SECRET_KEY"):
        config["JWT_SECRET_KEY"] = config.get("SECRET_KEY")
    problems = []
    if env != "development":
        secret = config.get("SECRET_KEY") or ""
        if secret == _DEV_SECRET or len(secret) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        jwt_secret = config.get("JWT_SECRET_KEY") or ""
        if jwt_secret == _DEV_SECRET or len(jwt_secret) < 32:
            problems.append("JWT_SECRET_KEY, when set, must be random and at least 32 characters")
    if env == "production":
        problems += _production_problems(config)
    if problems:
        where = f"APP_ENV={env}" if env else "APP_ENV unset (only development may omit secrets)"
        raise RuntimeError(f"refusing to start ({where}): " + "; ".join(problems))


def _production_problems(config: dict) -> list[str]:
    problems = []
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL")
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory"):
        # Per-worker memory would give each gunicorn worker its own login and account limits.
        problems.append("REDIS_URL (or RATELIMIT_STORAGE_URI) must be set: limits are shared")
    if not config.get("SMTP_HOST") or not config.get("MAIL_FROM"):
        # Without them password-reset mails would only be logged.
        problems.append("SMTP_HOST and MAIL_FROM must be set: reset mails are sent by SMTP")
    return problems
