"""A development certificate chain shaped like Apple's: sign passes with no Apple account.

root CA -> WWDR-like intermediate -> pass certificate (subject UID = pass type identifier,
OU = team identifier, as in a real Pass Type ID certificate). iPhones install only passes signed
through Apple's real WWDR, so these passes are for tests and local tooling, never for devices.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

# Apple's "Pass Type ID" extended key usage, carried by real pass certificates.
PASS_TYPE_ID_EKU = ObjectIdentifier("1.2.840.113635.100.4.14")

ROOT_FILE = "root.pem"
WWDR_FILE = "wwdr.pem"
CERT_FILE = "pass-cert.pem"
KEY_FILE = "pass-key.pem"


@dataclass(frozen=True)
class DevChain:
    root: x509.Certificate
    wwdr: x509.Certificate
    wwdr_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


@dataclass(frozen=True)
class DevChainPaths:
    root: Path
    wwdr: Path
    certificate: Path
    key: Path


def _name(*attributes: tuple[ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ca_certificate(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    not_before: datetime,
    not_after: datetime,
    path_length: int,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def make_pass_certificate(
    pass_type_identifier: str,
    team_identifier: str,
    wwdr: x509.Certificate,
    wwdr_key: rsa.RSAPrivateKey,
    key: rsa.RSAPrivateKey | None = None,
    organization: str = "Loyalty Development",
    not_before: datetime | None = None,
    valid_days: int = 365,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A pass certificate issued by the given WWDR-like intermediate."""
    key = key or _new_key()
    start = not_before or datetime.now(UTC) - timedelta(minutes=5)
    subject = _name(
        (NameOID.USER_ID, pass_type_identifier),
        (NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_identifier}"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, team_identifier),
        (NameOID.ORGANIZATION_NAME, organization),
        (NameOID.COUNTRY_NAME, "FI"),
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(wwdr.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        # clientAuth: the same certificate is the TLS client certificate towards APNs.
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, PASS_TYPE_ID_EKU]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(wwdr_key.public_key()),
            critical=False,
        )
        .sign(wwdr_key, hashes.SHA256())
    )
    return certificate, key


def make_dev_chain(
    pass_type_identifier: str,
    team_identifier: str,
    organization: str = "Loyalty Development",
    now: datetime | None = None,
    pass_valid_days: int = 365,
    wwdr_valid_days: int = 3650,
) -> DevChain:
    """Build the chain in memory. `now` and the validities let tests make expired ones."""
    start = (now or datetime.now(UTC)) - timedelta(minutes=5)
    root_key, wwdr_key = _new_key(), _new_key()
    root_name = _name(
        (NameOID.COMMON_NAME, "Loyalty Development Root CA"),
        (NameOID.ORGANIZATION_NAME, f"{organization} (not Apple)"),
        (NameOID.COUNTRY_NAME, "FI"),
    )
    wwdr_name = _name(
        (NameOID.COMMON_NAME, "Development Worldwide Developer Relations CA"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "G4-dev"),
        (NameOID.ORGANIZATION_NAME, f"{organization} (not Apple)"),
        (NameOID.COUNTRY_NAME, "FI"),
    )
    root = _ca_certificate(
        root_name, root_key, root_name, root_key, start, start + timedelta(days=7300), 1
    )
    wwdr = _ca_certificate(
        wwdr_name, wwdr_key, root_name, root_key, start, start + timedelta(days=wwdr_valid_days), 0
    )
    certificate, key = make_pass_certificate(
        pass_type_identifier,
        team_identifier,
        wwdr,
        wwdr_key,
        organization=organization,
        not_before=start,
        valid_days=pass_valid_days,
    )
    return DevChain(root=root, wwdr=wwdr, wwdr_key=wwdr_key, certificate=certificate, key=key)


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def private_key_pem(key: rsa.RSAPrivateKey, password: str | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def write_dev_chain(
    chain: DevChain, directory: str | Path, key_password: str | None = None
) -> DevChainPaths:
    """Write root.pem, wwdr.pem, pass-cert.pem and pass-key.pem (mode 0600) to directory."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    paths = DevChainPaths(
        root=target / ROOT_FILE,
        wwdr=target / WWDR_FILE,
        certificate=target / CERT_FILE,
        key=target / KEY_FILE,
    )
    paths.root.write_bytes(certificate_pem(chain.root))
    paths.wwdr.write_bytes(certificate_pem(chain.wwdr))
    paths.certificate.write_bytes(certificate_pem(chain.certificate))
    fd = os.open(paths.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_pem(chain.key, key_password))
    return paths


def generate_dev_certs(
    directory: str | Path,
    pass_type_identifier: str,
    team_identifier: str,
    key_password: str | None = None,
    organization: str = "Loyalty Development",
    overwrite: bool = False,
) -> DevChainPaths:
    """What `flask passes dev-certs` runs: make a chain and write its PEM files.

    Refuses to replace existing files unless overwrite is set, so a real certificate placed
    in the same directory is never clobbered by accident.
    """
    target = Path(directory)
    existing = [
        name for name in (ROOT_FILE, WWDR_FILE, CERT_FILE, KEY_FILE) if (target / name).exists()
    ]
    if existing and not overwrite:
        raise FileExistsError(f"{target} already holds {', '.join(existing)}")
    chain = make_dev_chain(pass_type_identifier, team_identifier, organization=organization)
    return write_dev_chain(chain, target, key_password)


def dev_chain_paths(directory: str | Path) -> DevChainPaths:
    target = Path(directory)
    return DevChainPaths(
        root=target / ROOT_FILE,
        wwdr=target / WWDR_FILE,
        certificate=target / CERT_FILE,
        key=target / KEY_FILE,
    )


def ensure_dev_chain(
    directory: str | Path, pass_type_identifier: str, team_identifier: str
) -> DevChainPaths:
    """The development chain kept in directory, made (once) when missing or no longer fitting.

    A file lock makes the several workers of one server that start together share one chain.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    paths = dev_chain_paths(target)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _fits(paths, pass_type_identifier, team_identifier):
            chain = make_dev_chain(pass_type_identifier, team_identifier)
            write_dev_chain(chain, target)
    return paths


def _fits(paths: DevChainPaths, pass_type_identifier: str, team_identifier: str) -> bool:
    """The chain on disk is for these identifiers and good for a while (the start-up checks
    then look at it closely, key included)."""
    if not all(p.is_file() for p in (paths.root, paths.wwdr, paths.certificate, paths.key)):
        return False
    try:
        certificate = x509.load_pem_x509_certificate(paths.certificate.read_bytes())
    except ValueError:
        return False
    subject = certificate.subject
    uid = subject.get_attributes_for_oid(NameOID.USER_ID)
    team = subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    # Expiring soon counts as unfit too: a development chain is free to remake.
    return (
        bool(uid)
        and uid[0].value == pass_type_identifier
        and bool(team)
        and team[0].value == team_identifier
        and certificate.not_valid_after_utc > datetime.now(UTC) + timedelta(days=31)
    )
