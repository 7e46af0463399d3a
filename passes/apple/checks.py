"""Start-up checks for the things that most often break real passes, said plainly.

Each problem is a Finding with a stable code; "error" means passes will not install or update,
"warning" means they work today but need attention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from passes.apple.signing import PassSigner, SigningKey, load_certificate, load_private_key

EXPIRY_WARNING = timedelta(days=30)


@dataclass(frozen=True)
class Finding:
    level: Literal["error", "warning"]
    code: str
    message: str


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _public_der(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_web_service_url(url: str | None, allow_http: bool = False) -> list[Finding]:
    """`allow_http` in development only: Wallet accepts http with its "Allow HTTP Services"
    developer setting, never on a customer's device."""
    if not url:
        return [
            Finding(
                "warning",
                "web_service_url_missing",
                "no webServiceURL is set: passes will never update on devices",
            )
        ]
    findings = []
    scheme = urlsplit(url).scheme
    if scheme == "http" and allow_http:
        findings.append(
            Finding(
                "warning",
                "web_service_url_http",
                f"webServiceURL {url} is http: only a device with Wallet's Allow HTTP Services "
                "developer setting updates these passes",
            )
        )
    elif scheme != "https":
        findings.append(
            Finding("error", "web_service_url_not_https", f"webServiceURL {url} must be https")
        )
    if url.rstrip("/").endswith("/v1"):
        findings.append(
            Finding(
                "error",
                "web_service_url_ends_v1",
                f"webServiceURL {url} must not end in /v1: the device adds /v1/... itself",
            )
        )
    return findings


def check_material(
    certificate: x509.Certificate,
    key: SigningKey,
    wwdr: x509.Certificate,
    pass_type_identifier: str,
    team_identifier: str,
    web_service_url: str | None,
    now: datetime | None = None,
    allow_http: bool = False,
) -> list[Finding]:
    """Check loaded certificates and key against the configuration."""
    now = now or datetime.now(UTC)
    findings: list[Finding] = []

    uid = _attribute(certificate.subject, NameOID.USER_ID)
    if uid != pass_type_identifier:
        findings.append(
            Finding(
                "error",
                "uid_mismatch",
                f"the pass certificate is for {uid!r} but the pass type identifier is "
                f"{pass_type_identifier!r}",
            )
        )
    team = _attribute(certificate.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    if team != team_identifier:
        findings.append(
            Finding(
                "error",
                "team_mismatch",
                f"the pass certificate's team (OU) is {team!r} but the team identifier is "
                f"{team_identifier!r}",
            )
        )
    if _public_der(key.public_key()) != _public_der(certificate.public_key()):
        findings.append(
            Finding(
                "error", "key_mismatch", "the private key does not belong to the pass certificate"
            )
        )

    if wwdr.not_valid_after_utc <= now:
        findings.append(
            Finding(
                "error",
                "wwdr_expired",
                f"the WWDR certificate expired on {wwdr.not_valid_after_utc:%Y-%m-%d}; "
                "use Apple's current one (G4)",
            )
        )
    elif wwdr.not_valid_before_utc > now:
        findings.append(
            Finding("error", "wwdr_not_yet_valid", "the WWDR certificate is not valid yet")
        )
    try:
        certificate.verify_directly_issued_by(wwdr)
    except (ValueError, TypeError, InvalidSignature):
        findings.append(
            Finding(
                "error",
                "wwdr_not_issuer",
                "the pass certificate was not issued by the WWDR certificate given "
                f"({wwdr.subject.rfc4514_string()}); use the WWDR generation that issued it",
            )
        )
    if _attribute(wwdr.issuer, NameOID.ORGANIZATION_NAME) != "Apple Inc.":
        findings.append(
            Finding(
                "warning",
                "not_apple_chain",
                "the WWDR certificate is not Apple's: passes will verify in tests but no iPhone "
                "will install them",
            )
        )

    expires = certificate.not_valid_after_utc
    if expires <= now:
        findings.append(
            Finding("error", "cert_expired", f"the pass certificate expired on {expires:%Y-%m-%d}")
        )
    elif expires - now <= EXPIRY_WARNING:
        findings.append(
            Finding(
                "warning",
                "cert_expiring",
                f"the pass certificate expires on {expires:%Y-%m-%d}; renew it in the Apple "
                "developer portal before then",
            )
        )

    findings.extend(check_web_service_url(web_service_url, allow_http))
    return findings


def check_pass_setup(
    cert_path: str | Path | None,
    key_path: str | Path | None,
    wwdr_path: str | Path | None,
    key_password: str | None,
    pass_type_identifier: str,
    team_identifier: str,
    web_service_url: str | None,
    now: datetime | None = None,
) -> list[Finding]:
    """Load the files named by the configuration and check them; never raises for bad input."""
    return load_and_check(
        cert_path,
        key_path,
        wwdr_path,
        key_password,
        pass_type_identifier,
        team_identifier,
        web_service_url,
        now,
    )[1]


def load_and_check(
    cert_path: str | Path | None,
    key_path: str | Path | None,
    wwdr_path: str | Path | None,
    key_password: str | None,
    pass_type_identifier: str,
    team_identifier: str,
    web_service_url: str | None,
    now: datetime | None = None,
    allow_http: bool = False,
) -> tuple[PassSigner | None, list[Finding]]:
    """check_pass_setup, plus a signer made of what it loaded (None if a file is missing or
    unreadable), so that start-up reads and validates the key once."""
    findings: list[Finding] = []
    loaded: dict[str, object] = {}
    for label, path, loader in (
        ("cert", cert_path, load_certificate),
        ("wwdr", wwdr_path, load_certificate),
        ("key", key_path, lambda p: load_private_key(p, key_password)),
    ):
        if not path or not Path(path).is_file():
            findings.append(
                Finding(
                    "error", f"{label}_missing", f"the {label} file {path or '(unset)'} is missing"
                )
            )
            continue
        try:
            loaded[label] = loader(path)
        except (ValueError, TypeError) as exc:
            # A wrong password and a damaged file both land here; say which file.
            findings.append(
                Finding(
                    "error", f"{label}_unreadable", f"cannot read the {label} file {path}: {exc}"
                )
            )
    if len(loaded) != 3:
        findings.extend(check_web_service_url(web_service_url, allow_http))
        return None, findings
    signer = PassSigner(
        certificate=loaded["cert"],  # type: ignore[arg-type]
        private_key=loaded["key"],  # type: ignore[arg-type]
        wwdr_certificate=loaded["wwdr"],  # type: ignore[arg-type]
    )
    findings.extend(
        check_material(
            signer.certificate,
            signer.private_key,
            signer.wwdr_certificate,
            pass_type_identifier,
            team_identifier,
            web_service_url,
            now,
            allow_http,
        )
    )
    return signer, findings
