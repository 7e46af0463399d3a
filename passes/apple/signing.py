"""Signing a pass manifest: a detached PKCS#7 (DER) made with the Pass Type ID certificate.

The certificate, key and WWDR intermediate are parsed once, when the signer is made, and so is
the PKCS#7 builder that holds them; signing a pass is then the RSA operation and a little DER,
which is what bench/passes.py measures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_OPTIONS = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]


def load_certificate(path: str | Path) -> x509.Certificate:
    """A PEM or DER certificate (Apple hands out the WWDR certificate as DER .cer)."""
    data = Path(path).read_bytes()
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def load_private_key(path: str | Path, password: str | None = None) -> SigningKey:
    data = Path(path).read_bytes()
    secret = password.encode() if password else None
    key = serialization.load_pem_private_key(data, password=secret)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: the pass key must be RSA or EC, not {type(key).__name__}")
    return key


@dataclass(frozen=True)
class PassSigner:
    """Holds the pass certificate, its key and the WWDR intermediate, loaded once."""

    certificate: x509.Certificate
    private_key: SigningKey
    wwdr_certificate: x509.Certificate
    # The signer added once (its checks cost a twentieth of the RSA time per pass). The WWDR
    # certificate is added per pass: set_data() keeps the signers but drops added certificates
    # (cryptography 50), and a signature without it does not verify on a device.
    _builder: pkcs7.PKCS7SignatureBuilder = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        builder = pkcs7.PKCS7SignatureBuilder().add_signer(
            self.certificate, self.private_key, hashes.SHA256()
        )
        object.__setattr__(self, "_builder", builder)

    @classmethod
    def from_files(
        cls,
        cert_path: str | Path,
        key_path: str | Path,
        wwdr_path: str | Path,
        key_password: str | None = None,
    ) -> PassSigner:
        return cls(
            certificate=load_certificate(cert_path),
            private_key=load_private_key(key_path, key_password),
            wwdr_certificate=load_certificate(wwdr_path),
        )

    def sign(self, manifest: bytes) -> bytes:
        """Detached PKCS#7 signature of manifest.json, DER encoded.

        cryptography adds the signed attributes Wallet expects (content type, message digest and
        signing time); the WWDR certificate travels in the signature so devices can build the
        chain to Apple's root. Binary matters: without it the builder signs the S/MIME
        canonical form (LF turned into CRLF), which no longer matches manifest.json.
        """
        return (
            self._builder.set_data(manifest)
            .add_certificate(self.wwdr_certificate)
            .sign(serialization.Encoding.DER, _OPTIONS)
        )
