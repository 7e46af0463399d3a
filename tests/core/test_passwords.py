"""Password hashing with argon2-cffi: passlib's hashes keep working, parameters upgrade at login,
and a fresh hasher is safe under many threads at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from app.auth import passwords
from app.auth.models import User
from app.extensions import db
from tests.support import signup

# Written by passlib 1.7.4 (`passlib.hash.argon2.using(memory_cost=..., rounds=...,
# parallelism=1).hash("correct horse battery")`) before it was removed from the project.
PASSLIB_PRODUCTION = (
    "$argon2id$v=19$m=19456,t=2,p=1$ibFWKsV4D6E0xniPcU6J0Q"
    "$se2CXdsvLUy5G+k3GZlTjnWIVDIRcF87fLogQNXgi24"
)
PASSLIB_TEST = (
    "$argon2id$v=19$m=1024,t=1,p=1$876XUmqtde49R+gdI0SIsQ"
    "$u6/QJxsgUgnHbM/vFevjy/sbxeD7Zelgn3sxX+2XbhI"
)
PLAIN = "correct horse battery"


def test_hashes_written_by_passlib_keep_verifying(app):
    with app.app_context():
        for stored in (PASSLIB_PRODUCTION, PASSLIB_TEST):
            assert passwords.verify_password(PLAIN, stored)
            assert not passwords.verify_password(PLAIN + "!", stored)
        # The suite's settings (1 MiB, 1 pass) are those of the second hash only.
        assert not passwords.needs_rehash(PASSLIB_TEST)
        assert passwords.needs_rehash(PASSLIB_PRODUCTION)


def test_new_hashes_are_argon2id_with_the_settings_parameters(app):
    with app.app_context():
        hashed = passwords.hash_password(PLAIN)
        assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        assert passwords.verify_password(PLAIN, hashed)
        assert not passwords.verify_password("wrong", hashed)


def test_a_broken_stored_hash_is_a_failed_login_not_a_500(app):
    with app.app_context():
        assert not passwords.verify_password(PLAIN, "not-a-hash")
        assert not passwords.verify_password(PLAIN, "")
        assert passwords.needs_rehash("not-a-hash")


def test_login_replaces_a_hash_made_with_other_parameters(app, client, program):
    signup(client, "old@test.example")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "old@test.example"))
        # A hash from passlib with the production parameters, as an older deployment left it.
        user.password_hash = PASSLIB_PRODUCTION
        db.session.commit()
    login = client.post("/api/v1/auth/login", json={"email": "old@test.example", "password": PLAIN})
    assert login.status_code == 200, login.get_json()
    with app.app_context():
        stored = db.session.scalar(
            select(User.password_hash).where(User.email == "old@test.example")
        )
        assert stored != PASSLIB_PRODUCTION
        assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        assert passwords.verify_password(PLAIN, stored)
    again = client.post("/api/v1/auth/login", json={"email": "old@test.example", "password": PLAIN})
    assert again.status_code == 200


def test_a_fresh_hasher_is_safe_under_many_threads_at_once(app):
    """What gunicorn's threads do on a cold worker: the first hashes and verifies all at once."""
    passwords._hasher.cache_clear()
    passwords._dummy.cache_clear()
    threads = 16
    start = threading.Barrier(threads)

    def work(i: int) -> tuple[bool, bool, bool]:
        with app.app_context():
            start.wait()
            hashed = passwords.hash_password(f"password-{i}")
            passwords.burn_time_like_verify("anything")
            return (
                passwords.verify_password(f"password-{i}", hashed),
                passwords.verify_password(PLAIN, PASSLIB_TEST),
                passwords.verify_password("wrong", hashed),
            )

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(work, range(threads)))
    assert results == [(True, True, False)] * threads
