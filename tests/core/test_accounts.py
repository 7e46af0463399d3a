"""Password changes and operators deactivating logins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update

from app.auth import users
from app.auth.models import PasswordResetToken, User
from app.auth.service import create_user, login
from app.errors import ApiError
from app.extensions import db
from tests.support import bearer, seed_program, signup

OLD = "member-password-1"
NEW = "a-brand-new-password"


def _login(client, email: str, password: str):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _change(client, token: str, current: str, new: str = NEW):
    return client.post(
        "/api/v1/me/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(token),
    )


def _user_id(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.public_id).where(User.email == email))


# -- changing one's password ------------------------------------------------------------------


def test_a_change_keeps_this_session_and_ends_the_others(client, program):
    member = signup(client, "me@test.example")
    phone = _login(client, "me@test.example", OLD).get_json()
    assert _change(client, member.access_token, OLD).status_code == 204
    assert client.get("/api/v1/me", headers=member.headers).status_code == 200
    gone = client.get("/api/v1/me", headers=bearer(phone["access_token"]))
    assert (gone.status_code, gone.get_json()["error"]["code"]) == (401, "token_revoked")
    other = client.post("/api/v1/auth/refresh", headers=bearer(phone["refresh_token"]))
    assert other.status_code == 401
    this = client.post("/api/v1/auth/refresh", headers=bearer(member.refresh_token))
    assert this.status_code == 200
    assert _login(client, "me@test.example", OLD).status_code == 401
    assert _login(client, "me@test.example", NEW).status_code == 200


def test_a_change_needs_the_current_password_and_the_signup_rules(client, program):
    member = signup(client)
    wrong = _change(client, member.access_token, "not-my-password")
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (403, "current_password_wrong")
    short = _change(client, member.access_token, OLD, "short")
    assert short.status_code == 422
    assert "new_password" in short.get_json()["error"]["details"]["fields"]["json"]
    same = _change(client, member.access_token, OLD, OLD)
    assert same.status_code == 422
    assert _login(client, "member@test.example", OLD).status_code == 200


def test_staff_and_admins_change_theirs_too(client, program):
    assert _change(client, program.staff_token, "staff-password-1").status_code == 204
    assert _login(client, "staff@test.example", NEW).status_code == 200
    assert _change(client, program.admin_token, "admin-password-1").status_code == 204
    assert _login(client, "admin@test.example", NEW).status_code == 200


def test_a_change_retires_outstanding_reset_links(app, client, program):
    member = signup(client, "links@test.example")
    client.post("/api/v1/auth/password-reset", json={"email": "links@test.example"})
    assert _change(client, member.access_token, OLD).status_code == 204
    with app.app_context():
        assert db.session.scalars(select(PasswordResetToken.used_at)).all() != []
        assert all(db.session.scalars(select(PasswordResetToken.used_at)).all())


def test_wrong_current_passwords_count_toward_the_account_lock(app, program):
    app.config["LOGIN_ACCOUNT_LIMIT"] = "3 per 15 minutes"
    client = app.test_client()
    member = signup(client, "locked@test.example")
    codes = [_change(client, member.access_token, f"guess-{i}").status_code for i in range(3)]
    assert codes == [403, 403, 403]
    locked = _change(client, member.access_token, OLD)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    # The same bucket as logins: the account's login is locked too.
    assert _login(client, "locked@test.example", OLD).status_code == 429


# -- deactivating logins ----------------------------------------------------------------------


def test_a_deactivated_staff_login_stops_at_once_and_can_come_back(app, client, program):
    admin = bearer(program.admin_token)
    staff_id = _user_id(app, "staff@test.example")
    till = bearer(program.staff_token)
    assert client.get(f"/api/v1/admin/users/{staff_id}", headers=admin).get_json()["active"]

    res = client.post(f"/api/v1/admin/users/{staff_id}/deactivate", headers=admin)
    assert res.status_code == 200
    assert res.get_json()["active"] is False
    assert res.get_json()["store_id"] == program.store_id
    refused = client.post("/api/v1/redemptions/ABC/confirm", headers=till)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (401, "token_revoked")
    wrong = _login(client, "staff@test.example", "not-the-password")
    right = _login(client, "staff@test.example", "staff-password-1")
    assert right.status_code == wrong.status_code == 401
    assert right.get_json() == wrong.get_json()

    back = client.post(f"/api/v1/admin/users/{staff_id}/reactivate", headers=admin)
    assert back.get_json()["active"] is True
    assert _login(client, "staff@test.example", "staff-password-1").status_code == 200
    # The sessions the deactivation ended stay ended.
    assert client.post("/api/v1/redemptions/ABC/confirm", headers=till).status_code == 401


def test_a_second_admin_can_be_deactivated_but_nobody_deactivates_themselves(app, client, program):
    with app.app_context():
        create_user("second@test.example", "second-password-1", "admin")
        db.session.commit()
    admin = bearer(program.admin_token)
    me = _user_id(app, "admin@test.example")
    second = _user_id(app, "second@test.example")
    self_off = client.post(f"/api/v1/admin/users/{me}/deactivate", headers=admin)
    assert (self_off.status_code, self_off.get_json()["error"]["code"]) == (
        409,
        "cannot_deactivate_self",
    )
    assert client.post(f"/api/v1/admin/users/{second}/deactivate", headers=admin).status_code == (
        200
    )


def test_the_last_active_admin_stays(app, program):
    """An admin whose own login was just deactivated (a request already past its guard)
    cannot take the last active admin with it."""
    with app.app_context():
        create_user("second@test.example", "second-password-1", "admin")
        db.session.commit()
        first = db.session.scalar(select(User).where(User.email == "admin@test.example"))
        second = db.session.scalar(select(User).where(User.email == "second@test.example"))
        users.deactivate(first, second.public_id)
        with pytest.raises(ApiError) as refused:
            users.deactivate(second, first.public_id)
        assert refused.value.code == "last_admin"
        assert db.session.scalar(select(User.active).where(User.id == first.id)) is True


def test_listing_users_and_who_may(app, client, program):
    admin = bearer(program.admin_token)
    signup(client, "listed@test.example")
    staff = client.get("/api/v1/admin/users?role=staff", headers=admin).get_json()
    assert [u["email"] for u in staff["users"]] == ["staff@test.example"]
    found = client.get("/api/v1/admin/users?email=LISTED@test.example", headers=admin).get_json()
    assert [(u["email"], u["role"]) for u in found["users"]] == [("listed@test.example", "member")]
    page = client.get("/api/v1/admin/users?limit=2", headers=admin).get_json()
    rest = client.get(
        f"/api/v1/admin/users?limit=2&cursor={page['next_cursor']}", headers=admin
    ).get_json()
    assert len(page["users"]) + len(rest["users"]) == 3
    assert client.get("/api/v1/admin/users/usr_nope", headers=admin).status_code == 404
    member = signup(client, "curious@test.example")
    staff_id = _user_id(app, "staff@test.example")
    assert client.get("/api/v1/admin/users", headers=member.headers).status_code == 403
    off = client.post(f"/api/v1/admin/users/{staff_id}/deactivate", headers=member.headers)
    assert off.status_code == 403
    off = client.post(
        f"/api/v1/admin/users/{staff_id}/deactivate", headers=bearer(program.staff_token)
    )
    assert off.status_code == 403


@pytest.mark.postgres
def test_two_admins_deactivating_each_other_at_once_leave_one(pg_app):
    seed_program(pg_app)
    with pg_app.app_context():
        create_user("second@test.example", "second-password-1", "admin")
        db.session.commit()
    first_id = _user_id(pg_app, "admin@test.example")
    second_id = _user_id(pg_app, "second@test.example")
    for _ in range(10):
        with pg_app.app_context():
            db.session.execute(update(User).where(User.role == "admin").values(active=True))
            db.session.commit()
        first_token = login_token(pg_app, "admin@test.example", "admin-password-1")
        second_token = login_token(pg_app, "second@test.example", "second-password-1")
        jobs = [(first_token, second_id), (second_token, first_id)]

        def off(job: tuple[str, str]) -> int:
            token, target = job
            res = pg_app.test_client().post(
                f"/api/v1/admin/users/{target}/deactivate", headers=bearer(token)
            )
            return res.status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            codes = sorted(pool.map(off, jobs))
        with pg_app.app_context():
            active = db.session.scalars(
                select(User.email).where(User.role == "admin", User.active.is_(True))
            ).all()
        assert len(active) == 1, (codes, active)
        # One won; the other was refused (the last admin) or its token died with its login.
        assert codes[0] == 200 and codes[1] in (401, 409), codes


def login_token(app, email: str, password: str) -> str:
    with app.app_context():
        return login(email, password)[1].access_token
