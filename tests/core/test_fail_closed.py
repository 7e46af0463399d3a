"""Fail closed: only APP_ENV=development may use the committed secret; production refuses to
start without what it needs; the demo never seeds outside development; a token's session must
be its subject's."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import select

from app import create_app
from app.auth.models import AuthSession, User
from app.config import _DEV_SECRET, TestConfig
from app.extensions import db
from tests.support import ROOT, bearer, signup

STRONG = "s" * 40


def _settings(**changes) -> dict:
    base = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return base | {"FEATURES": ()} | changes


def _production(**changes) -> dict:
    return (
        _settings(
            APP_ENV="production",
            SECRET_KEY=STRONG,
            JWT_SECRET_KEY=None,
            # Never connected to: the checks run before any query or limit.
            SQLALCHEMY_DATABASE_URI="postgresql+psycopg://loyalty@127.0.0.1:1/loyalty",
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
            SMTP_HOST="smtp.loyalty.test",
            MAIL_FROM="Lumo <no-reply@loyalty.test>",
        )
        | changes
    )


@pytest.mark.parametrize("env", [None, "test", "production"])
def test_without_a_secret_only_development_starts(env):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(_settings(APP_ENV=env, SECRET_KEY=None, JWT_SECRET_KEY=None))
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(_settings(APP_ENV=env, SECRET_KEY=_DEV_SECRET, JWT_SECRET_KEY=None))


def test_development_falls_back_to_the_development_secret():
    app = create_app(_settings(APP_ENV="development", SECRET_KEY=None, JWT_SECRET_KEY=None))
    assert app.config["SECRET_KEY"] == _DEV_SECRET
    assert app.config["JWT_SECRET_KEY"] == _DEV_SECRET


def test_unset_app_env_starts_with_its_own_secret():
    app = create_app(_settings(APP_ENV=None, SECRET_KEY=STRONG, JWT_SECRET_KEY=None))
    assert app.config["JWT_SECRET_KEY"] == STRONG


def test_an_unknown_app_env_is_refused():
    with pytest.raises(RuntimeError, match="APP_ENV='prod' is not one of"):
        create_app(_settings(APP_ENV="prod", SECRET_KEY=STRONG))


def test_the_environment_alone_never_gives_the_development_secret(tmp_path):
    """What gunicorn loads (`wsgi`), with neither APP_ENV nor SECRET_KEY set: it refuses."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("APP_ENV", "SECRET_KEY", "JWT_SECRET_KEY", "FLASK_APP")
    } | {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "FEATURES": ""}
    refused = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "refusing to start (APP_ENV unset" in refused.stderr
    started = subprocess.run(
        [sys.executable, "-c", "import wsgi; print(wsgi.app.config['APP_ENV'])"],
        cwd=ROOT,
        env=env | {"APP_ENV": "development"},
        capture_output=True,
        text=True,
    )
    assert started.returncode == 0, started.stderr[-2000:]
    assert started.stdout.strip().endswith("development")


def test_production_starts_with_everything_it_needs():
    create_app(_production())


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"SMTP_HOST": None}, "SMTP_HOST and MAIL_FROM must be set"),
        ({"MAIL_FROM": None}, "SMTP_HOST and MAIL_FROM must be set"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "REDIS_URL"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, "DATABASE_URL must point at PostgreSQL"),
        ({"JWT_SECRET_KEY": "short"}, "JWT_SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without(change, problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app(_production(**change))


@pytest.mark.parametrize("env", ["production", None])
def test_the_demo_never_seeds_outside_development(env):
    app = create_app(_production(APP_ENV=env))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "seed-demo runs only with APP_ENV=development" in result.output


def test_a_token_naming_another_users_session_is_refused(app, client, program):
    """A session id (`sid`) is only good for the user it was opened for."""
    member = signup(client)
    with app.app_context():
        member_user = db.session.scalar(select(User).where(User.email == "member@test.example"))
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        member_sid = db.session.scalar(
            select(AuthSession.public_id).where(AuthSession.user_id == member_user.id)
        )
        mixed = create_access_token(
            identity=admin.public_id, additional_claims={"role": "admin", "sid": member_sid}
        )
    res = client.get("/api/v1/admin/rewards", headers=bearer(mixed))
    assert (res.status_code, res.get_json()["error"]["code"]) == (401, "token_revoked")
    # The member's own token with that session still works.
    assert client.get("/api/v1/me", headers=member.headers).status_code == 200
