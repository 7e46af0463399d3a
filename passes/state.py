"""What the passes package holds per app: the signer, images, clients, loaded once at start-up.

The start-up checks run here. Findings are logged; in production an error refuses to start,
because a pass signed with the wrong certificate fails silently on every device.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from google.auth import crypt

from passes.apple.apns import ApnsPassPusher
from passes.apple.builder import ApplePassBuilder
from passes.apple.checks import Finding, load_and_check
from passes.apple.dev_certs import ensure_dev_chain
from passes.apple.pkpass import ApplePassSettings, load_images
from passes.apple.signing import PassSigner
from passes.cards.card import ProgramInfo
from passes.google.client import (
    IssuerRateLimit,
    NotificationBudget,
    RecordingWalletClient,
    WalletApi,
    WalletApiClient,
    generate_dev_service_account,
)
from passes.google.objects import GoogleWalletSettings, issuer_signer
from passes.settings import PassesSettings

log = logging.getLogger("passes")

DEV_SERVICE_ACCOUNT_FILE = "google-service-account.json"


@dataclass(frozen=True)
class CertificateFiles:
    certificate: Path
    key: Path
    wwdr: Path
    password: str | None
    development: bool


@dataclass
class PassesState:
    settings: PassesSettings
    apple: ApplePassSettings
    files: CertificateFiles | None
    signer: PassSigner | None
    images: Mapping[str, bytes]
    google: GoogleWalletSettings
    google_account: Mapping[str, Any] | None
    google_signer: crypt.RSASigner | None
    wallet_api: WalletApi | None
    notify_budget: NotificationBudget
    findings: list[Finding]
    google_class_ready: bool = False
    _builders: dict[str, ApplePassBuilder] = field(default_factory=dict)
    _pusher: ApnsPassPusher | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def builder(self, program: ProgramInfo) -> ApplePassBuilder:
        """A builder per program content: the images' and strings' hashes are made once."""
        if self.signer is None:
            raise RuntimeError("no pass certificate is loaded")
        key = repr(program)
        with self._lock:
            found = self._builders.get(key)
            if found is None:
                if len(self._builders) > 8:
                    self._builders.clear()
                found = ApplePassBuilder(program, self.apple, self.signer, self.images)
                self._builders[key] = found
            return found

    def pusher(self) -> ApnsPassPusher:
        """One pooled HTTP/2 connection to APNs per process, opened on first use."""
        if self.files is None:
            raise RuntimeError("no pass certificate is loaded")
        with self._lock:
            if self._pusher is None:
                self._pusher = ApnsPassPusher(
                    topic=self.settings.pass_type_identifier,
                    cert_path=self.files.certificate,
                    key_path=self.files.key,
                    key_password=self.files.password,
                    base_url=self.settings.apns_base_url,
                    ca_file=self.settings.apns_ca_file,
                    timeout=self.settings.apns_timeout,
                )
            return self._pusher

    def close(self) -> None:
        with self._lock:
            if self._pusher is not None:
                self._pusher.close()
                self._pusher = None


def current_state() -> PassesState | None:
    """None in an app that does not run the passes feature (subscriptions are process-wide)."""
    return current_app.extensions.get("passes")


def _certificate_files(settings: PassesSettings) -> CertificateFiles | None:
    if settings.certificate_configured:
        if not (settings.cert_path and settings.key_path and settings.wwdr_path):
            return None
        return CertificateFiles(
            Path(settings.cert_path),
            Path(settings.key_path),
            Path(settings.wwdr_path),
            settings.key_password,
            development=False,
        )
    if settings.production:
        return None
    paths = ensure_dev_chain(
        settings.dev_dir, settings.pass_type_identifier, settings.team_identifier
    )
    return CertificateFiles(paths.certificate, paths.key, paths.wwdr, None, development=True)


def _apple_setup(
    settings: PassesSettings, files: CertificateFiles | None
) -> tuple[PassSigner | None, list[Finding]]:
    signer, findings = load_and_check(
        files.certificate if files else settings.cert_path,
        files.key if files else settings.key_path,
        files.wwdr if files else settings.wwdr_path,
        files.password if files else settings.key_password,
        settings.pass_type_identifier,
        settings.team_identifier,
        settings.web_service_url,
        allow_http=settings.development,
    )
    if settings.production:
        # A production pass that can never update is a broken pass.
        findings = [
            Finding("error", f.code, f.message) if f.code == "web_service_url_missing" else f
            for f in findings
        ]
    return signer, findings


def _google_account(settings: PassesSettings) -> tuple[dict[str, Any] | None, list[Finding]]:
    path = settings.google_service_account_file
    if path:
        try:
            info = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            return None, [
                Finding(
                    "error",
                    "google_service_account_unreadable",
                    f"cannot read the Google Wallet service-account key {path}: {exc}",
                )
            ]
        missing = [k for k in ("client_email", "private_key", "private_key_id") if k not in info]
        if missing:
            return None, [
                Finding(
                    "error",
                    "google_service_account_invalid",
                    f"{path} is not a service-account key file (no {', '.join(missing)})",
                )
            ]
        return info, []
    if settings.production:
        return None, [
            Finding(
                "error",
                "google_service_account_missing",
                "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE is not set: Google Wallet passes cannot be "
                "issued or updated",
            )
        ]
    return _dev_service_account(settings.dev_dir), []


def _dev_service_account(directory: Path) -> dict[str, Any]:
    """A generated issuer key kept under the development directory, so save links stay valid."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / DEV_SERVICE_ACCOUNT_FILE
    if not target.is_file():
        info = generate_dev_service_account("loyalty-dev")
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(info, handle)
        # Atomic: of several workers starting together, one file wins and all read it.
        os.replace(temporary, target)
    return json.loads(target.read_text())


def _google_findings(settings: PassesSettings) -> list[Finding]:
    findings = []
    if settings.production and not settings.google_logo_url:
        findings.append(
            Finding(
                "error",
                "google_logo_missing",
                "GOOGLE_WALLET_LOGO_URL is not set: a LoyaltyClass needs a public https logo",
            )
        )
    if not settings.google_origins:
        findings.append(
            Finding(
                "error",
                "google_origins_missing",
                "GOOGLE_WALLET_ORIGINS is empty: Google refuses a save link without origins",
            )
        )
    if settings.production and settings.google_issuer_id == "3388000000000000000":
        findings.append(
            Finding(
                "error",
                "google_issuer_missing",
                "GOOGLE_WALLET_ISSUER_ID is the development placeholder",
            )
        )
    return findings


def build_state(settings: PassesSettings) -> PassesState:
    """Load and check everything; raises in production when a check finds an error."""
    try:
        apple = ApplePassSettings(
            settings.pass_type_identifier,
            settings.team_identifier,
            settings.web_service_url,
            settings.barcode_format,
        )
    except ValueError as exc:
        raise RuntimeError(f"PASS_BARCODE_FORMAT: {exc}") from exc
    files = _certificate_files(settings)
    signer, findings = _apple_setup(settings, files)
    if files is not None and files.development:
        findings = [f for f in findings if f.code != "not_apple_chain"]
        findings.append(
            Finding(
                "warning",
                "development_certificate",
                f"signing passes with the development chain in {settings.dev_dir}: they verify "
                "in tests but no iPhone installs them; set PASS_CERT_PATH, PASS_KEY_PATH and "
                "PASS_WWDR_PATH to Apple's certificates",
            )
        )
    try:
        images = load_images(settings.images_dir)
    except (OSError, ValueError) as exc:
        findings.append(Finding("error", "images_unusable", f"PASS_IMAGES_DIR: {exc}"))
        images = load_images()

    account, google_problems = _google_account(settings)
    findings.extend(google_problems)
    findings.extend(_google_findings(settings))
    wallet_api: WalletApi | None = None
    if account is not None:
        if settings.google_service_account_file:
            wallet_api = WalletApiClient.from_service_account(
                account,
                base_url=settings.google_api_url,
                token_uri=settings.google_token_uri,
                issuer_id=settings.google_issuer_id,
                rate_limit=IssuerRateLimit(settings.google_rate_limit, settings.rate_limit_storage),
            )
        else:
            wallet_api = RecordingWalletClient()
            findings.append(
                Finding(
                    "warning",
                    "google_recording",
                    "no GOOGLE_WALLET_SERVICE_ACCOUNT_FILE: Google Wallet calls are recorded, "
                    "not sent, and save links use a development issuer key",
                )
            )

    for finding in findings:
        level = logging.ERROR if finding.level == "error" else logging.WARNING
        log.log(level, "passes: %s: %s", finding.code, finding.message)
    errors = [f for f in findings if f.level == "error"]
    if settings.production and errors:
        raise RuntimeError(
            "refusing to start in production: "
            + "; ".join(f"{f.code}: {f.message}" for f in errors)
        )
    return PassesState(
        settings=settings,
        apple=apple,
        files=files,
        signer=signer,
        images=images,
        google=GoogleWalletSettings(
            issuer_id=settings.google_issuer_id,
            class_suffix=settings.google_class_suffix,
            origins=settings.google_origins,
        ),
        google_account=account,
        google_signer=issuer_signer(account) if account is not None else None,
        wallet_api=wallet_api,
        notify_budget=NotificationBudget(settings.google_notify_limit, settings.rate_limit_storage),
        findings=findings,
    )
