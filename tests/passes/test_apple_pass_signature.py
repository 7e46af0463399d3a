"""The signature of a built pass, checked by OpenSSL rather than by the code that made it."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from passes.apple.builder import build_pkpass
from passes.apple.dev_certs import make_dev_chain, write_dev_chain

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


@pytest.fixture
def unpacked(program_info, card, apple_settings, signer, images, tmp_path: Path) -> Path:
    data = build_pkpass(program_info, card, apple_settings, signer, images)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path / "pass")
    return tmp_path / "pass"


def openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *map(str, args)], capture_output=True, text=True, timeout=30, check=False
    )


def verify(tool: str, directory: Path, root: Path) -> subprocess.CompletedProcess[str]:
    # Only the root is trusted: the WWDR intermediate must come from inside the signature.
    # "-purpose any": a pass certificate is not an S/MIME e-mail certificate.
    return openssl(
        tool,
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        directory / "signature",
        "-content",
        directory / "manifest.json",
        "-CAfile",
        root,
        "-purpose",
        "any",
        "-out",
        directory / "verified-content",
    )


@pytest.mark.parametrize("tool", ["cms", "smime"])
def test_signature_verifies_against_the_development_root(unpacked, root_pem, tool):
    result = verify(tool, unpacked, root_pem)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
    assert (unpacked / "verified-content").read_bytes() == (unpacked / "manifest.json").read_bytes()


def test_a_changed_manifest_fails_verification(unpacked, root_pem):
    manifest = unpacked / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"pass.json": "', b'"pass.json": "0'))
    result = verify("cms", unpacked, root_pem)
    assert result.returncode != 0
    assert "Verification failure" in result.stderr


def test_another_root_does_not_verify_it(unpacked, tmp_path):
    stranger = write_dev_chain(make_dev_chain("pass.other", "OTHER12345"), tmp_path / "other")
    result = verify("cms", unpacked, stranger.root)
    assert result.returncode != 0


def test_signature_carries_the_wwdr_certificate_and_a_signing_time(unpacked, dev_chain):
    printed = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", unpacked / "signature")
    assert printed.returncode == 0, printed.stderr
    assert "signingTime" in printed.stdout
    assert "eContent: <ABSENT>" in printed.stdout  # detached
    certs = openssl("pkcs7", "-inform", "DER", "-in", unpacked / "signature", "-print_certs")
    subjects = [line for line in certs.stdout.splitlines() if line.startswith("subject=")]
    assert len(subjects) == 2
    assert any("Worldwide Developer Relations" in s for s in subjects)
    assert any(
        "UID = pass.fi.lumo.loyalty" in s or "UID=pass.fi.lumo.loyalty" in s for s in subjects
    )
