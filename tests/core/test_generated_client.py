"""A typed client generated from /openapi.json (openapi-python-client) compiles and runs the
README's curl flow against a live server: proof that a mobile team can generate theirs."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import TestConfig
from app.extensions import db

PACKAGE = "loyalty_client"
# What a mobile team passes with --config: no formatter run (the code as generated), and the
# Wallet pass (a zip) read as the bytes it is.
GENERATOR_CONFIG = {
    "post_hooks": [],
    "content_type_overrides": {"application/vnd.apple.pkpass": "application/octet-stream"},
}


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[tuple[str, object]]:
    """The app on SQLite with the demo program (as `make run` has it), served on 127.0.0.1."""
    from app.seed import seed

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app(
        settings
        | {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.db'}",
            "PASS_DEV_DIR": str(tmp_path / "passes-dev"),
        }
    )
    with app.app_context():
        db.create_all()
        seed()
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        if "passes" in app.extensions:
            app.extensions["passes"].close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def client_package(live_app, tmp_path: Path, monkeypatch):
    """Generate the client from the live document into tmp_path and import it."""
    _, app = live_app
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(app.test_client().get("/openapi.json").get_json()))
    config = tmp_path / "generator.json"
    config.write_text(json.dumps(GENERATOR_CONFIG))
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_the_generated_client_runs_the_readme_flow(live_app, client_package):
    base_url, _ = live_app
    api = importlib.import_module(f"{PACKAGE}.api")
    models = importlib.import_module(f"{PACKAGE}.models")
    for module in (
        "auth.auth_signup",
        "auth.auth_login",
        "transactions.transactions_record",
        "members.members_my_points",
        "rewards.rewards_catalog",
        "rewards.rewards_redeem",
    ):
        importlib.import_module(f"{api.__name__}.{module}")
    anonymous = client_package.Client(base_url=base_url, raise_on_unexpected_status=True)

    # 1. A member signs up; the answer has the card number and tokens.
    joined = api.auth.auth_signup.sync(
        client=anonymous,
        body=models.Signup(
            email="sam@example.com",
            password="a-long-password",
            name="Sam",
            language=models.SignupLanguage.FI,
            timezone="Europe/Helsinki",
            marketing_consent=True,
        ),
    )
    assert isinstance(joined, models.SignupResult), joined
    card = joined.barcode_value
    assert joined.tokens.access_token

    # 2. Logging in later gives a fresh pair of tokens.
    sam = api.auth.auth_login.sync(
        client=anonymous, body=models.Login(email="sam@example.com", password="a-long-password")
    )
    assert isinstance(sam, models.Tokens) and sam.role == "member"

    # 3. The staff user of the demo store records a purchase against the card.
    staff_tokens = api.auth.auth_login.sync(
        client=anonymous, body=models.Login(email="staff@example.com", password="demo-password-1")
    )
    staff = client_package.AuthenticatedClient(
        base_url=base_url, token=staff_tokens.access_token, raise_on_unexpected_status=True
    )
    recorded = api.transactions.transactions_record.sync(
        client=staff,
        idempotency_key="till-1-0001",
        body=models.PurchaseCreate(
            card_number=card,
            amount="42.50",
            currency="EUR",
            channel=models.PurchaseCreateChannel.IN_STORE,
            receipt_id="R-0001",
        ),
    )
    assert isinstance(recorded, models.PurchaseResult), recorded
    assert recorded.points_earned == 42
    assert recorded.points_status == models.PurchaseResultPointsStatus.PENDING
    assert recorded.balance.pending == 42

    # 4. The balance, as a member who has been around longer (Maria, from the demo) sees it.
    maria_tokens = api.auth.auth_login.sync(
        client=anonymous, body=models.Login(email="maria@example.com", password="demo-password-1")
    )
    maria = client_package.AuthenticatedClient(
        base_url=base_url, token=maria_tokens.access_token, raise_on_unexpected_status=True
    )
    points = api.members.members_my_points.sync(client=maria)
    assert isinstance(points, models.Points), points
    assert points.available > 0

    # 5. The catalog says what she can afford; redeeming returns a code for the till.
    catalog = api.rewards.rewards_catalog.sync(client=maria)
    assert catalog and all(isinstance(item, models.CatalogItem) for item in catalog)
    coffee = catalog[0]
    assert coffee.affordable
    redeemed = api.rewards.rewards_redeem.sync(
        client=maria, reward_id=coffee.id, idempotency_key="coffee-1"
    )
    assert isinstance(redeemed, models.Redemption), redeemed
    assert redeemed.code and redeemed.reward_id == coffee.id
    assert redeemed.balance.available == points.available - coffee.cost_points

    # A failure is the app's one error shape, typed too.
    again = api.rewards.rewards_redeem.sync_detailed(
        client=maria.with_headers({}), reward_id="rew_missing", idempotency_key="coffee-2"
    )
    assert again.status_code == 404
    assert again.parsed.error.code == "reward_not_found"
