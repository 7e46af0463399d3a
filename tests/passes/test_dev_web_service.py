"""`make run` (APP_ENV=development) serves the PassKit web service at
http://127.0.0.1:5000/passkit and puts it in its passes; http is refused in production."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from app import create_app
from app.config import TestConfig
from passes.apple.checks import check_web_service_url
from passes.settings import DEV_WEB_SERVICE_URL
from tests.support import seed_program, signup


def _settings(tmp_path: Path, **overrides) -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}",
        "FEATURES": ("passes",),
        "PASS_DEV_DIR": str(tmp_path / "dev"),
        **overrides,
    }


def test_http_is_a_warning_in_development_and_an_error_elsewhere():
    url = "http://127.0.0.1:5000/passkit"
    assert [(f.level, f.code) for f in check_web_service_url(url, allow_http=True)] == [
        ("warning", "web_service_url_http")
    ]
    assert [(f.level, f.code) for f in check_web_service_url(url)] == [
        ("error", "web_service_url_not_https")
    ]
    # Development allows http, not any scheme.
    assert [f.code for f in check_web_service_url("ftp://x/passkit", allow_http=True)] == [
        "web_service_url_not_https"
    ]


def test_development_serves_the_web_service_on_http_and_puts_it_in_the_passes(tmp_path):
    from app.extensions import db

    app = create_app(_settings(tmp_path, APP_ENV="development"))
    state = app.extensions["passes"]
    try:
        with app.app_context():
            db.create_all()
        assert state.settings.web_service_url == DEV_WEB_SERVICE_URL
        assert "web_service_url_http" in {f.code for f in state.findings}
        assert "web_service_url_not_https" not in {f.code for f in state.findings}
        rules = {rule.rule for rule in app.url_map.iter_rules()}
        assert "/passkit/v1/passes/<pass_type>/<serial>" in rules

        client = app.test_client()
        seed_program(app)
        member = signup(client)
        res = client.get("/api/v1/me/passes/apple", headers=member.headers)
        assert res.status_code == 200
        with zipfile.ZipFile(io.BytesIO(res.data)) as archive:
            document = json.loads(archive.read("pass.json"))
        assert document["webServiceURL"] == "http://127.0.0.1:5000/passkit"
        assert document["authenticationToken"]
    finally:
        state.close()


def test_only_development_has_the_default(tmp_path):
    app = create_app(_settings(tmp_path))  # APP_ENV=test, as the suite runs
    try:
        assert app.extensions["passes"].settings.web_service_url is None
    finally:
        app.extensions["passes"].close()


def test_production_refuses_an_http_web_service(tmp_path):
    from tests.passes.test_passes_setup import production

    with pytest.raises(RuntimeError, match="web_service_url_not_https"):
        create_app(production(tmp_path, PASS_WEB_SERVICE_URL=DEV_WEB_SERVICE_URL))
