"""The console through the test client: login and roles, CSRF, the session, security headers,
and that its forms reach the same rules as the API (idempotent adjustments and purchases,
codes confirmed once, a segment's live count)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.models import LedgerEntry
from app.members.models import Member
from app.purchases.models import Purchase
from console import web
from tests.console.helpers import ADMIN, STAFF, csrf, form_key, login, post
from tests.support import bearer, signup


def _buy(client, program, card: str, amount: str):
    """A purchase through the JSON API, as a till's staff login books one."""
    body = {
        "card_number": card,
        "amount": amount,
        "currency": "EUR",
        "channel": "in_store",
        "receipt_id": uuid.uuid4().hex[:12],
    }
    headers = {**bearer(program.staff_token), "Idempotency-Key": uuid.uuid4().hex}
    return client.post("/api/v1/transactions", json=body, headers=headers)


def _entries(app, member_id: str) -> int:
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.public_id == member_id))
        return db.session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.member_id == member.id)
        )


def test_admin_logs_in_with_a_console_cookie_and_lands_on_the_dashboard(client, program):
    res = login(client, *ADMIN)
    assert res.status_code == 302
    assert urlsplit(res.headers["Location"]).path == "/console/dashboard/"
    cookie = res.headers["Set-Cookie"]
    assert cookie.startswith("loyalty_console=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    page = client.get("/console/dashboard/")
    assert page.status_code == 200
    assert "Points liability" in page.text


def test_the_dashboard_counts_todays_purchases_and_the_liability(client, program):
    member = signup(client)
    assert _buy(client, program, member.card_number, "42.00").status_code == 201
    login(client, *ADMIN)
    page = client.get("/console/dashboard/").text
    assert re.search(r'id="liability-total">42<', page)
    today = re.findall(
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">0</td>', page
    )
    assert today[-1] == ("1", "42")  # the last row is today: one purchase, 42 points


def test_the_dashboard_shows_the_analytics_reports_once_they_are_summed(
    app, client, program, tmp_path
):
    """The money figures are the analytics reports themselves (the same services as the API),
    shown once the nightly job has summed a day; before that the panel says so."""
    from datetime import timedelta

    from analytics.aggregates import job
    from app.models_base import utcnow
    from console.dashboard import figures
    from tests.conftest import make_app

    member = signup(client)
    assert _buy(client, program, member.card_number, "42.00").status_code == 201
    login(client, *ADMIN)
    assert 'id="returns-not-summed"' in client.get("/console/dashboard/").text
    with app.app_context():
        job.run(now=utcnow() + timedelta(days=1))  # today is then a closed day
    api = bearer(program.admin_token)
    owed = client.get("/api/v1/admin/analytics/liability", headers=api).get_json()
    back = client.get("/api/v1/admin/analytics/roi", headers=api).get_json()
    page = client.get("/console/dashboard/").text
    assert owed["value_outstanding"] is not None and owed["currency"] == "EUR"
    assert f'id="value-outstanding">{owed["value_outstanding"]} EUR<' in page
    assert f'id="breakage-value">{owed["breakage"]["value"]} EUR<' in page
    assert 'aria-labelledby="chart-spend-t chart-spend-d"' in page
    # The month of the purchase: its net spend, and the program's cost, as the report has them.
    month = back["months"][-1]
    assert month["net_spend"] == "42.00"
    assert f'<td class="num">{month["net_spend"]}</td>' in page
    # An app without the analytics package has no such panel.
    (tmp_path / "bare").mkdir()
    bare = make_app("sqlite", tmp_path / "bare", FEATURES=("console",))
    with bare.test_request_context():
        assert figures.returns() is None


def test_wrong_password_is_refused_like_the_api(client, program):
    res = login(client, ADMIN[0], "not-the-password")
    assert res.status_code == 401
    assert "Email or password is wrong." in res.text
    assert client.get("/console/dashboard/").status_code == 302


def test_a_console_login_starts_the_count_of_failures_again(client, program, app):
    app.config["LOGIN_ACCOUNT_LIMIT"] = "3 per 15 minutes"
    passwords = ("typo-1", "typo-2", ADMIN[1], "typo-3", "typo-4", ADMIN[1])
    codes = [login(client, ADMIN[0], password).status_code for password in passwords]
    # 302: logged in, sent on to the dashboard. Without the reset the last one is a 429.
    assert codes == [401, 401, 302, 401, 401, 302]


def test_a_member_cannot_log_into_the_console(client, program, app):
    member = signup(client, "someone@test.example")
    res = login(client, "someone@test.example", "member-password-1")
    assert res.status_code == 403
    assert "Members use the app" in res.text
    # No console session: every page still sends the member to the login form.
    res = client.get("/console/members/")
    assert res.status_code == 302 and urlsplit(res.headers["Location"]).path == "/console/login"
    # The member's own API session is untouched.
    assert client.get("/api/v1/me", headers=member.headers).status_code == 200


def test_staff_cannot_open_admin_pages_and_admins_have_no_till(client, program, app):
    login(client, *STAFF)
    for path in ("/console/dashboard/", "/console/members/", "/console/offers/", "/console/audit/"):
        res = client.get(path)
        assert res.status_code == 403, path
        assert "This page is not for your role." in res.text
    assert client.get("/console/till/").status_code == 200
    # Not a way around it: a staff session's admin POST is refused too.
    res = post(client, "/console/program/rules/x/off", {}, "/console/till/")
    assert res.status_code == 403

    other = app.test_client()
    login(other, *ADMIN)
    assert other.get("/console/till/").status_code == 403


def test_a_post_without_the_csrf_token_is_refused(client, program, app):
    member = signup(client)
    login(client, *ADMIN)
    page = client.get(f"/console/members/{member.id}")
    key = form_key(page.text)
    res = client.post(
        f"/console/members/{member.id}/adjust",
        data={"key": key, "points": "50", "reason": "goodwill"},
    )
    assert res.status_code == 400
    assert "The form has expired" in res.text
    # A token of another session is no better.
    stranger = app.test_client()
    res = client.post(
        f"/console/members/{member.id}/adjust",
        data={"key": key, "points": "50", "reason": "goodwill", "csrf_token": csrf(stranger)},
    )
    assert res.status_code == 400
    assert _entries(app, member.id) == 0
    # The login form is no exception.
    fresh = app.test_client()
    res = fresh.post("/console/login", data={"email": ADMIN[0], "password": ADMIN[1]})
    assert res.status_code == 400


def test_the_json_api_is_not_held_to_csrf(client, program):
    """CSRF belongs to the console's cookie; the API's bearer tokens are untouched by it."""
    member = signup(client)
    res = _buy(client, program, member.card_number, "10.00")
    assert res.status_code == 201, res.get_json()


def test_adjusting_with_the_same_form_twice_adjusts_once(client, program, app):
    member = signup(client)
    login(client, *ADMIN)
    page = client.get(f"/console/members/{member.id}")
    key = form_key(page.text)
    data = {"key": key, "points": "50", "reason": "goodwill"}
    first = post(
        client,
        f"/console/members/{member.id}/adjust",
        data,
        "/console/members/",
        headers={"HX-Request": "true"},
    )
    assert first.status_code == 200
    assert "Adjusted by +50 points: goodwill" in first.text
    assert first.headers["HX-Trigger"] == "ledger-changed"
    again = post(
        client,
        f"/console/members/{member.id}/adjust",
        data,
        "/console/members/",
        headers={"HX-Request": "true"},
    )
    assert "the adjustment was made once" in again.text
    assert _entries(app, member.id) == 1
    res = client.get("/api/v1/me/points", headers=member.headers).get_json()
    assert res["available"] == 50
    # The reason rule is the API's schema's: too short a reason is refused on its field.
    short = post(
        client,
        f"/console/members/{member.id}/adjust",
        {"key": "other-key", "points": "5", "reason": "x"},
        "/console/members/",
        headers={"HX-Request": "true"},
    )
    assert short.status_code == 422
    assert 'id="adjust-reason-errors"' in short.text
    assert _entries(app, member.id) == 1


def test_member_search_by_email_name_and_card_number(client, program):
    member = signup(client, "findme@test.example", name="Aino Virtanen")
    login(client, *ADMIN)
    card = member.card_number
    spaced = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    for query in ("findme@", "virtanen", spaced[:9]):
        res = client.get(
            "/console/members/", query_string={"q": query}, headers={"HX-Request": "true"}
        )
        assert res.status_code == 200
        assert f"/console/members/{member.id}" in res.text, query
        assert "<html" not in res.text  # the fragment only
    res = client.get("/console/members/", query_string={"q": "nobody-here"})
    assert "No member matches" in res.text


def test_logout_ends_the_session_on_the_server(client, program):
    login(client, *ADMIN)
    cookie = client.get_cookie("loyalty_console", path="/console").value
    post(client, "/console/logout", {}, "/console/dashboard/")
    assert client.get("/console/dashboard/").status_code == 302
    # The old cookie, replayed, names a revoked session.
    client.set_cookie("loyalty_console", cookie, path="/console")
    assert client.get("/console/dashboard/").status_code == 302


def test_a_deactivated_login_loses_its_console_session_at_once(client, program, app):
    from app.auth import users
    from app.auth.models import User

    login(client, *STAFF)
    assert client.get("/console/till/").status_code == 200
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN[0]))
        staff = db.session.scalar(select(User).where(User.email == STAFF[0]))
        users.deactivate(admin, staff.public_id)
    assert client.get("/console/till/").status_code == 302


def test_an_htmx_request_without_a_session_is_sent_to_the_login_page(client, program):
    res = client.get("/console/members/", headers={"HX-Request": "true"})
    assert res.status_code == 401
    assert urlsplit(res.headers["HX-Redirect"]).path == "/console/login"


def test_login_goes_back_only_to_a_console_page(client, program):
    token = csrf(client, "/console/login?next=https://evil.example/")
    res = client.post(
        "/console/login",
        data={
            "csrf_token": token,
            "email": ADMIN[0],
            "password": ADMIN[1],
            "next": "https://evil.example/",
        },
    )
    assert urlsplit(res.headers["Location"]).path == "/console/dashboard/"


PAGES = (
    "/console/dashboard/",
    "/console/members/",
    "/console/program/",
    "/console/program/tiers",
    "/console/program/stores",
    "/console/program/rewards",
    "/console/program/rules",
    "/console/segments/new",
    "/console/offers/new",
    "/console/campaigns/new",
    "/console/audit/",
)


def test_pages_carry_the_security_headers_and_no_inline_script_or_style(client, program, app):
    member = signup(client)
    login(client, *ADMIN)
    for path in (*PAGES, f"/console/members/{member.id}"):
        res = client.get(path)
        assert res.status_code == 200, path
        csp = res.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert res.headers["X-Frame-Options"] == "DENY"
        assert res.headers["Cache-Control"] == "no-store"
        html = res.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert "https://" not in re.sub(r'href="https://[^"]*"', "", html)  # no CDN


def test_every_control_has_a_label(client, program):
    login(client, *ADMIN)
    for path in PAGES:
        html = client.get(path).text
        ids = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if re.search(r'type="(hidden|submit)"', tag):
                continue
            found = re.search(r'\sid="([^"]+)"', tag)
            wrapped = found is None or found.group(1) not in ids
            if wrapped:
                # A checkbox inside its <label>: the label wraps the control.
                assert re.search(r'type="(checkbox|radio)"', tag), (path, tag)
            else:
                assert found.group(1) in ids, (path, tag)


def test_the_console_is_not_in_the_openapi_document(client):
    spec = client.get("/openapi.json").get_json()
    assert not [path for path in spec["paths"] if path.startswith("/console")]


def test_the_till_records_a_purchase_once_and_shows_the_points(client, program, app):
    member = signup(client)
    login(client, *STAFF)
    found = post(
        client,
        "/console/till/card",
        {"card_number": member.card_number},
        "/console/till/",
        headers={"HX-Request": "true"},
    )
    assert found.status_code == 200 and "Test Member" in found.text
    key = form_key(found.text)
    data = {
        "card_number": member.card_number,
        "key": key,
        "amount": "42,50",
        "receipt_id": "R-1",
        "offer_code": "",
    }
    res = post(
        client, "/console/till/purchase", data, "/console/till/", headers={"HX-Request": "true"}
    )
    assert res.status_code == 200, res.text
    assert "+42 points" in res.text
    again = post(
        client, "/console/till/purchase", data, "/console/till/", headers={"HX-Request": "true"}
    )
    assert "recorded already" in again.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Purchase)) == 1
    # The API's rules, not the console's: the same receipt under a new key is a duplicate.
    dup = post(
        client,
        "/console/till/purchase",
        {**data, "key": "another"},
        "/console/till/",
        headers={"HX-Request": "true"},
    )
    assert dup.status_code == 409
    assert "This receipt was already recorded." in dup.text


def test_the_till_refuses_a_mistyped_card(client, program):
    login(client, *STAFF)
    res = post(
        client,
        "/console/till/card",
        {"card_number": "1234"},
        "/console/till/",
        headers={"HX-Request": "true"},
    )
    assert res.status_code == 422
    assert "A card number has 16 digits." in res.text


def test_the_till_confirms_a_redemption_code_once(client, program, app):
    member = signup(client)
    _give_points(client, app, member.id, 500)
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "Coffee", "cost_points": 150},
        headers=bearer(program.admin_token),
    ).get_json()
    code = client.post(
        f"/api/v1/rewards/{reward['id']}/redeem",
        headers={**member.headers, "Idempotency-Key": "r1"},
    ).get_json()["code"]
    login(client, *STAFF)
    res = post(
        client,
        "/console/till/redemption",
        {"code": code},
        "/console/till/",
        headers={"HX-Request": "true"},
    )
    assert res.status_code == 200
    assert "Confirmed" in res.text and "Coffee" in res.text
    again = post(
        client,
        "/console/till/redemption",
        {"code": code},
        "/console/till/",
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 409
    assert "This code was already used." in again.text


def _give_points(client, app, member_id: str, points: int) -> None:
    from app.ledger import service as ledger

    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.public_id == member_id))
        ledger.adjust(member.id, points, "test points", "test")
        db.session.commit()


def test_a_segments_count_follows_its_criteria_before_it_is_saved(client, program):
    signup(client, "fi@test.example", language="fi")
    signup(client, "pl@test.example", language="pl")
    login(client, *ADMIN)
    page = "/console/segments/new"
    everyone = post(
        client, "/console/segments/preview", {"name": "x"}, page, headers={"HX-Request": "true"}
    )
    assert re.search(r'id="segment-count">2<', everyone.text)
    finns = post(
        client,
        "/console/segments/preview",
        {"name": "x", "languages": "fi"},
        page,
        headers={"HX-Request": "true"},
    )
    assert re.search(r'id="segment-count">1<', finns.text)
    bad = post(
        client,
        "/console/segments/preview",
        {"name": "x", "points_min": "-5"},
        page,
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and "not valid" in bad.text


def test_the_operator_chooses_the_language(client, program):
    login(client, *ADMIN)
    res = post(
        client,
        "/console/language",
        {"lang": "fi", "next": "/console/dashboard/"},
        "/console/dashboard/",
    )
    assert urlsplit(res.headers["Location"]).path == "/console/dashboard/"
    page = client.get("/console/dashboard/")
    assert '<html lang="fi">' in page.text
    assert "Pisteiden" in page.text  # "Points liability" in Finnish


def test_production_makes_the_console_cookie_secure():
    app = Flask(__name__)
    app.config.update(
        APP_ENV="production",
        SESSION_COOKIE_SECURE=False,
        CONSOLE_SESSION_HOURS=10,
        FEATURES=(),
        SECRET_KEY="x" * 40,
    )
    web.install(app)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["WTF_CSRF_CHECK_DEFAULT"] is False
