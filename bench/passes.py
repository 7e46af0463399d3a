"""Signed Apple passes built per second, held against the raw RSA signing rate of the same key.

The RSA signature is the one costly step a pass cannot avoid, so "passes/s ÷ RSA signs/s",
measured in the same run, shows how much the rest (pass.json, strings, zip, PKCS#7, and for
py-pkpass re-reading and decrypting the key for every pass) costs on this machine.

    .venv/bin/python bench/passes.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from py_pkpass import models as pkpass

from passes.apple.dev_certs import make_dev_chain, write_dev_chain
from passes.apple.pkpass import (
    ApplePassBuilder,
    ApplePassSettings,
    load_images,
    manifest,
    pass_files,
    pass_json,
    pass_strings,
)
from passes.apple.signing import PassSigner
from passes.cards.card import MemberCard, default_program

PASS_TYPE_ID = "pass.fi.lumo.loyalty"
TEAM_ID = "LUMO123456"
PASSWORD = "bench-password"


def rate(fn: Callable[[int], object], seconds: float) -> float:
    """Calls per second of fn(i), after a short warm-up."""
    for i in range(3):
        fn(i)
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        fn(count)
        count += 1
    return count / (time.perf_counter() - start)


def py_pkpass_builder(
    program, settings, images, paths, password: str | None
) -> Callable[[MemberCard], bytes]:
    """The same pass through py-pkpass, which reads and parses the PEM files on every create()."""
    strings = pass_strings(program)

    def build(card: MemberCard) -> bytes:
        document = pass_json(program, card, settings)
        store = pkpass.StoreCard()
        for group, target in (
            ("primaryFields", store.primaryFields),
            ("secondaryFields", store.secondaryFields),
            ("auxiliaryFields", store.auxiliaryFields),
            ("backFields", store.backFields),
        ):
            for spec in document["storeCard"][group]:
                item = pkpass.Field(spec["key"], spec["value"], spec["label"])
                item.changeMessage = spec.get("changeMessage", "")
                target.append(item)
        built = pkpass.Pass(
            store,
            passTypeIdentifier=settings.pass_type_identifier,
            organizationName=program.organization_name,
            teamIdentifier=settings.team_identifier,
        )
        built.serialNumber = card.serial_number
        built.description = document["description"]
        built.backgroundColor = document["backgroundColor"]
        built.barcode = pkpass.Barcode(
            card.card_number, pkpass.BarcodeFormat.QR, altText=card.card_number
        )
        built.webServiceURL = settings.web_service_url
        built.authenticationToken = card.authentication_token
        for name, data in {**images, **strings}.items():
            built.addFile(name, io.BytesIO(data))
        out = built.create(str(paths.certificate), str(paths.key), str(paths.wwdr), password)
        return out.getvalue()

    return build


def served_rate(seconds: float) -> float:
    """Passes per second fetched the way Wallet fetches them: GET /passkit/v1/passes/...
    through the whole app (token check, member and program reads, build, sign), SQLite, the
    Flask test client (no network), the development chain."""
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.seed import ensure_tiers

    logging.getLogger("passes").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()} | {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
            "FEATURES": ("passes",),
            "PASS_DEV_DIR": f"{tmp}/dev",
            "PASS_WEB_SERVICE_URL": "https://bench.invalid/passkit",
        }
        app = create_app(settings)
        with app.app_context():
            db.create_all()
            ensure_tiers()
            db.session.commit()
        client = app.test_client()
        signed_up = client.post(
            "/api/v1/auth/signup",
            json={
                "email": "bench@bench.invalid",
                "password": "bench-password-1",
                "name": "Aino Virtanen",
                "language": "fi",
            },
        ).get_json()
        access = {"Authorization": f"Bearer {signed_up['tokens']['access_token']}"}
        document = json.loads(
            zipfile_read(client.get("/api/v1/me/passes/apple", headers=access).data, "pass.json")
        )
        path = f"/passkit/v1/passes/{document['passTypeIdentifier']}/{document['serialNumber']}"
        wallet = {"Authorization": f"ApplePass {document['authenticationToken']}"}

        def fetch(_: int) -> None:
            response = client.get(path, headers=wallet)
            assert response.status_code == 200, response.status_code

        served = rate(fetch, seconds)
        with app.app_context():
            db.engine.dispose()
        return served


def zipfile_read(data: bytes, name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()

    program = default_program()
    settings = ApplePassSettings(PASS_TYPE_ID, TEAM_ID, "https://api.lumo.example/passkit")
    images = load_images()
    base = MemberCard(
        "p_bench", "Aino Virtanen", "6012345678901", "gold", 1250, 80, "tok_5f2b9c1e8d7a4f3b"
    )
    chain = make_dev_chain(PASS_TYPE_ID, TEAM_ID)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_dev_chain(chain, Path(tmp), PASSWORD)
        signer = PassSigner.from_files(paths.certificate, paths.key, paths.wwdr, PASSWORD)
        sample_manifest = manifest(pass_files(program, base, settings, images))

        def card(i: int) -> MemberCard:
            return replace(base, points_available=i)

        rsa = rate(
            lambda i: signer.private_key.sign(  # type: ignore[union-attr]
                sample_manifest + str(i).encode(), padding.PKCS1v15(), hashes.SHA256()
            ),
            args.seconds,
        )
        pkcs7 = rate(lambda i: signer.sign(sample_manifest + str(i).encode()), args.seconds)
        builder = ApplePassBuilder(program, settings, signer, images)
        ours = rate(lambda i: builder.build(card(i)), args.seconds)
        other = py_pkpass_builder(program, settings, images, paths, PASSWORD)
        theirs = rate(lambda i: other(card(i)), args.seconds)
        plain = write_dev_chain(chain, Path(tmp) / "plain")  # the same key, unencrypted
        other_plain = py_pkpass_builder(program, settings, images, plain, None)
        theirs_plain = rate(lambda i: other_plain(card(i)), args.seconds)
    served = served_rate(args.seconds)

    rows = [
        ("raw RSA-2048 PKCS#1 v1.5 signatures (the limit)", rsa),
        ("PKCS#7 detached signatures of a manifest (PassSigner.sign)", pkcs7),
        ("signed passes, ApplePassBuilder + PassSigner (loaded once)", ours),
        ("passes served by the web service (app, SQLite, no network)", served),
        ("signed passes, py-pkpass 1.0.2, encrypted key (re-read per pass)", theirs),
        ("signed passes, py-pkpass 1.0.2, unencrypted key (re-read per pass)", theirs_plain),
    ]
    print(f"{'what':68} {'per s':>9} {'÷ RSA':>7}")
    for label, value in rows:
        print(f"{label:68} {value:9.0f} {value / rsa:7.2f}")
    print(
        json.dumps(
            {
                "rsa_signs_per_s": round(rsa),
                "pkcs7_per_s": round(pkcs7),
                "passes_per_s": round(ours),
                "served_passes_per_s": round(served),
                "py_pkpass_passes_per_s": round(theirs),
                "py_pkpass_unencrypted_key_passes_per_s": round(theirs_plain),
                "ratio_passes_to_rsa": round(ours / rsa, 3),
                "ratio_served_to_rsa": round(served / rsa, 3),
                "ratio_py_pkpass_to_rsa": round(theirs / rsa, 3),
                "speedup_over_py_pkpass": round(ours / theirs, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
