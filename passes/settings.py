"""The passes package's settings: read from app.config, which takes them from the environment.

Every key can be given to create_app (tests) or set as an environment variable of the same
name. Development needs none of them: a development certificate chain and Google issuer key are
made under instance/passes-dev/ and Google calls are recorded instead of sent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from passes.apple.apns import PRODUCTION_URL
from passes.google.client import DEFAULT_BASE_URL

DEFAULTS: dict[str, str | None] = {
    # Apple: the Pass Type ID certificate (PEM), its key and Apple's WWDR G4 certificate.
    "PASS_TYPE_IDENTIFIER": "pass.dev.loyalty.example",
    "PASS_TEAM_IDENTIFIER": "DEVTEAM000",
    "PASS_CERT_PATH": None,
    "PASS_KEY_PATH": None,
    "PASS_KEY_PASSWORD": None,
    "PASS_WWDR_PATH": None,
    # Where the development chain is made when no certificate is configured.
    "PASS_DEV_DIR": None,
    # https://host/passkit: Wallet calls https://host/passkit/v1/...; development has a default.
    "PASS_WEB_SERVICE_URL": None,
    "PASS_BARCODE_FORMAT": "PKBarcodeFormatQR",
    "PASS_IMAGES_DIR": None,
    "PASS_ORGANIZATION_NAME": None,
    # Changes within this many seconds become one push / one PATCH (0 when jobs run in-process).
    "PASS_UPDATE_DELAY_SECONDS": None,
    "PASS_LOG_RATE_LIMIT": "120 per minute",
    # What one POST to /v1/log may carry: a larger body is a 413; past the line count the
    # rest is dropped (one entry says how many), a longer line is cut (marked as cut).
    "PASS_LOG_MAX_BODY_BYTES": "65536",
    "PASS_LOG_MAX_LINES": "50",
    "PASS_LOG_MAX_LINE_CHARS": "1000",
    # Devices one pass may be registered on; one more is a 409 too_many_devices.
    "PASS_MAX_DEVICES_PER_PASS": "10",
    # Registrations per client address, and per pass (wrong tokens not counted there).
    "PASS_REGISTER_RATE_LIMIT": "30 per minute",
    "PASS_REGISTER_PASS_RATE_LIMIT": "20 per hour",
    "APNS_BASE_URL": PRODUCTION_URL,
    "APNS_CA_FILE": None,
    "APNS_TIMEOUT_SECONDS": "10",
    # Google: the issuer's service-account key file (JSON) and where to reach the API.
    "GOOGLE_WALLET_ISSUER_ID": "3388000000000000000",
    "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE": None,
    "GOOGLE_WALLET_API_URL": DEFAULT_BASE_URL,
    "GOOGLE_WALLET_TOKEN_URI": None,
    "GOOGLE_WALLET_ORIGINS": "http://127.0.0.1:5000,http://localhost:5000",
    "GOOGLE_WALLET_CLASS_SUFFIX": "loyalty",
    "GOOGLE_WALLET_LOGO_URL": None,
    "GOOGLE_WALLET_HOMEPAGE_URL": None,
    "GOOGLE_WALLET_RATE_LIMIT": "20 per second",
    "GOOGLE_WALLET_NOTIFY_LIMIT": "3 per day",
}

# Google fetches the class logo itself; development calls are only recorded, so any URL does.
DEV_LOGO_URL = "https://loyalty.invalid/wallet/logo.png"
# Where `make run` serves the web service: a demo pass in the iOS simulator updates from it
# (with Wallet's "Allow HTTP Services" developer setting). Only APP_ENV=development uses it.
DEV_WEB_SERVICE_URL = "http://127.0.0.1:5000/passkit"


@dataclass(frozen=True)
class PassesSettings:
    production: bool
    # APP_ENV=development (`make run`): an http webServiceURL is allowed, and is the default.
    development: bool
    pass_type_identifier: str
    team_identifier: str
    cert_path: str | None
    key_path: str | None
    key_password: str | None
    wwdr_path: str | None
    dev_dir: Path
    web_service_url: str | None
    barcode_format: str
    images_dir: str | None
    organization_name: str | None
    update_delay_seconds: float
    log_rate_limit: str
    log_max_body_bytes: int
    log_max_lines: int
    log_max_line_chars: int
    max_devices_per_pass: int
    apns_base_url: str
    apns_ca_file: str | None
    apns_timeout: float
    google_issuer_id: str
    google_service_account_file: str | None
    google_api_url: str
    google_token_uri: str | None
    google_origins: tuple[str, ...]
    google_class_suffix: str
    google_logo_url: str | None
    google_homepage_url: str | None
    google_rate_limit: str
    google_notify_limit: str
    rate_limit_storage: str

    @property
    def certificate_configured(self) -> bool:
        return bool(self.cert_path or self.key_path or self.wwdr_path)

    @property
    def web_service_prefix(self) -> str:
        """The path the web service is mounted under: webServiceURL's own path."""
        if not self.web_service_url:
            return "/passkit"
        return urlsplit(self.web_service_url).path.rstrip("/")


def _value(app: Flask, key: str) -> str | None:
    env = os.environ.get(key)
    app.config.setdefault(key, env if env not in (None, "") else DEFAULTS[key])
    value = app.config[key]
    return None if value in (None, "") else str(value)


def _positive(values: dict[str, str | None], key: str) -> int:
    value = int(values[key] or DEFAULTS[key] or 0)
    if value < 1:
        raise ValueError(f"{key} must be 1 or more, not {value}")
    return value


def load_settings(app: Flask) -> PassesSettings:
    v = {key: _value(app, key) for key in DEFAULTS}
    eager = not app.config.get("CELERY_BROKER_URL")
    delay = v["PASS_UPDATE_DELAY_SECONDS"]
    origins = tuple(o.strip() for o in (v["GOOGLE_WALLET_ORIGINS"] or "").split(",") if o.strip())
    dev_dir = Path(v["PASS_DEV_DIR"] or Path(app.instance_path) / "passes-dev")
    development = app.config.get("APP_ENV") == "development"
    return PassesSettings(
        production=app.config.get("APP_ENV") == "production",
        development=development,
        pass_type_identifier=v["PASS_TYPE_IDENTIFIER"] or "",
        team_identifier=v["PASS_TEAM_IDENTIFIER"] or "",
        cert_path=v["PASS_CERT_PATH"],
        key_path=v["PASS_KEY_PATH"],
        key_password=v["PASS_KEY_PASSWORD"],
        wwdr_path=v["PASS_WWDR_PATH"],
        dev_dir=dev_dir,
        web_service_url=v["PASS_WEB_SERVICE_URL"] or (DEV_WEB_SERVICE_URL if development else None),
        barcode_format=v["PASS_BARCODE_FORMAT"] or "PKBarcodeFormatQR",
        images_dir=v["PASS_IMAGES_DIR"],
        organization_name=v["PASS_ORGANIZATION_NAME"],
        # In-process jobs run at commit and nothing sweeps later, so they cannot wait.
        update_delay_seconds=float(delay) if delay is not None else (0.0 if eager else 2.0),
        log_rate_limit=v["PASS_LOG_RATE_LIMIT"] or "120 per minute",
        log_max_body_bytes=_positive(v, "PASS_LOG_MAX_BODY_BYTES"),
        log_max_lines=_positive(v, "PASS_LOG_MAX_LINES"),
        log_max_line_chars=_positive(v, "PASS_LOG_MAX_LINE_CHARS"),
        max_devices_per_pass=_positive(v, "PASS_MAX_DEVICES_PER_PASS"),
        apns_base_url=v["APNS_BASE_URL"] or PRODUCTION_URL,
        apns_ca_file=v["APNS_CA_FILE"],
        apns_timeout=float(v["APNS_TIMEOUT_SECONDS"] or 10),
        google_issuer_id=v["GOOGLE_WALLET_ISSUER_ID"] or "",
        google_service_account_file=v["GOOGLE_WALLET_SERVICE_ACCOUNT_FILE"],
        google_api_url=v["GOOGLE_WALLET_API_URL"] or DEFAULT_BASE_URL,
        google_token_uri=v["GOOGLE_WALLET_TOKEN_URI"],
        google_origins=origins,
        google_class_suffix=v["GOOGLE_WALLET_CLASS_SUFFIX"] or "loyalty",
        google_logo_url=v["GOOGLE_WALLET_LOGO_URL"],
        google_homepage_url=v["GOOGLE_WALLET_HOMEPAGE_URL"],
        google_rate_limit=v["GOOGLE_WALLET_RATE_LIMIT"] or "20 per second",
        google_notify_limit=v["GOOGLE_WALLET_NOTIFY_LIMIT"] or "3 per day",
        rate_limit_storage=str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://"),
    )
