from datetime import timedelta

from flask_jwt_extended import create_access_token

from tests.support import bearer, signup


def test_signup_returns_profile_card_and_tokens(client, program):
    res = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "New@Example.com",
            "password": "long-enough-pw",
            "name": "Liisa",
            "language": "tl",
            "timezone": "Asia/Manila",
            "marketing_consent": False,
        },
    )
    assert res.status_code == 201
    body = res.get_json()
    assert body["email"] == "new@example.com"
    assert body["language"] == "tl"
    assert body["tier"]["code"] == "silver"
    assert body["points_available"] == 0
    assert len(body["barcode_value"]) == 16
    assert body["card_number"].replace(" ", "") == body["barcode_value"]
    me = client.get("/api/v1/me", headers=bearer(body["tokens"]["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["id"] == body["id"]


def test_signup_rejects_bad_input_and_duplicates(client, program):
    signup(client, "dup@test.example")
    again = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "DUP@test.example",
            "password": "long-enough-pw",
            "name": "x",
            "language": "en",
        },
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "email_taken"
    bad = client.post(
        "/api/v1/auth/signup",
        json={"email": "nope", "password": "short", "name": "", "language": "de", "extra": 1},
    )
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["details"]["fields"]["json"]
    assert {"email", "password", "name", "language", "extra"} <= set(fields)
    tz = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "tz@test.example",
            "password": "long-enough-pw",
            "name": "x",
            "language": "en",
            "timezone": "Mars/Base",
        },
    )
    assert tz.status_code == 422


def test_malformed_json_is_a_clear_400(client, program):
    res = client.post("/api/v1/auth/signup", data="{not json", content_type="application/json")
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "malformed_json"


def test_login_same_answer_for_unknown_email_and_wrong_password(client, program):
    signup(client, "known@test.example")
    wrong = client.post(
        "/api/v1/auth/login", json={"email": "known@test.example", "password": "wrong-password"}
    )
    unknown = client.post(
        "/api/v1/auth/login", json={"email": "ghost@test.example", "password": "wrong-password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    ok = client.post(
        "/api/v1/auth/login", json={"email": "known@test.example", "password": "member-password-1"}
    )
    assert ok.status_code == 200
    assert ok.get_json()["role"] == "member"


def test_login_is_rate_limited(app, program):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    codes = [
        client.post(
            "/api/v1/auth/login", json={"email": "a@test.example", "password": "x"}
        ).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    limited = client.post("/api/v1/auth/login", json={"email": "a@test.example", "password": "x"})
    assert limited.get_json()["error"]["code"] == "rate_limited"


def test_refresh_rotates_and_reuse_revokes_the_session(client, program):
    member = signup(client)
    first = client.post("/api/v1/auth/refresh", headers=bearer(member.refresh_token))
    assert first.status_code == 200
    rotated = first.get_json()
    assert rotated["refresh_token"] != member.refresh_token
    # The old refresh token again: treated as stolen, the whole session ends.
    reuse = client.post("/api/v1/auth/refresh", headers=bearer(member.refresh_token))
    assert reuse.status_code == 401
    assert reuse.get_json()["error"]["code"] == "refresh_token_reused"
    after = client.post("/api/v1/auth/refresh", headers=bearer(rotated["refresh_token"]))
    assert after.status_code == 401
    assert client.get("/api/v1/me", headers=bearer(rotated["access_token"])).status_code == 401


def test_access_token_cannot_refresh_and_refresh_token_cannot_call_api(client, program):
    member = signup(client)
    assert client.post("/api/v1/auth/refresh", headers=member.headers).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(member.refresh_token)).status_code == 401


def test_logout_revokes_access_and_refresh(client, program):
    member = signup(client)
    assert client.post("/api/v1/auth/logout", headers=member.headers).status_code == 204
    res = client.get("/api/v1/me", headers=member.headers)
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "token_revoked"
    refresh = client.post("/api/v1/auth/refresh", headers=bearer(member.refresh_token))
    assert refresh.status_code == 401


def test_expired_and_tampered_tokens(app, client, program):
    member = signup(client)
    header, payload, signature = member.access_token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    res = client.get("/api/v1/me", headers=bearer(tampered))
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "token_invalid"
    with app.app_context():
        expired = create_access_token("usr_x", expires_delta=timedelta(seconds=-1))
    res = client.get("/api/v1/me", headers=bearer(expired))
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "token_expired"
    assert client.get("/api/v1/me").get_json()["error"]["code"] == "unauthorized"


def test_member_cannot_call_staff_or_admin_endpoints(client, program):
    member = signup(client)
    for method, path in [
        ("post", "/api/v1/transactions"),
        ("get", "/api/v1/admin/rewards"),
        ("post", "/api/v1/admin/rewards"),
        ("get", "/api/v1/admin/stores"),
        ("post", "/api/v1/redemptions/ABC/confirm"),
    ]:
        res = getattr(client, method)(path, json={}, headers=member.headers)
        assert res.status_code == 403, path
        assert res.get_json()["error"]["code"] == "forbidden"


def test_patch_me(client, program):
    member = signup(client)
    res = client.patch(
        "/api/v1/me",
        json={"language": "pl", "marketing_consent": False, "timezone": "Europe/Warsaw"},
        headers=member.headers,
    )
    assert res.status_code == 200
    body = res.get_json()
    assert (body["language"], body["marketing_consent"], body["timezone"]) == (
        "pl",
        False,
        "Europe/Warsaw",
    )
    bad = client.patch("/api/v1/me", json={"points_available": 10**6}, headers=member.headers)
    assert bad.status_code == 422
    assert client.get("/api/v1/me", headers=member.headers).get_json()["points_available"] == 0
