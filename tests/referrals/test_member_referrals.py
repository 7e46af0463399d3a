"""Member-gets-member over HTTP: the code and link, sign-up with a code, the first purchase,
the hold, a refund in it, the friends list, and the bad input a sign-up can bring."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.outbox import OutboxJob
from referrals.referrals.rewarding import award_key
from tests.referrals.helpers import (
    FRIEND_NAME,
    balances,
    code_of,
    entries,
    friend,
    problems,
    referral,
    release,
    settings,
    settle,
)
from tests.support import bearer, purchase, signup


def _refund(client, program, purchase_id: str, body: dict, key: str):
    return client.post(
        f"/api/v1/transactions/{purchase_id}/refunds",
        json=body,
        headers={"X-API-Key": program.api_key, "Idempotency-Key": key},
    )


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def _pushes(app, template: str) -> list[dict]:
    with app.app_context():
        jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.topic == "push.transactional"))
        return [j.payload for j in jobs if j.payload.get("template") == template]


def test_my_code_and_share_link(app, client, program):
    member = signup(client)
    res = client.get("/api/v1/me/referral", headers=member.headers)
    assert res.status_code == 200
    body = res.get_json()
    code = body["code"]
    assert len(code) == 8 and code.isalnum() and code.upper() == code
    assert body["share_url"] == f"https://lumo.example/join?code={code}"
    assert body["deep_link"] == f"loyalty://join?code={code}"
    assert body["rewards"] == {
        "you": {"points": 200, "reward_id": None},
        "friend": {"points": 100, "reward_id": None},
        "min_purchase": "20.00",
        "hold_days": 14,
    }
    # Asked again, the same code.
    assert code_of(client, member) == code
    assert client.get("/api/v1/me/referral").status_code == 401


def test_a_friend_joins_buys_and_both_are_rewarded_after_the_hold(app, client, program):
    referrer = signup(client, "sam@test.example")
    code = code_of(client, referrer)
    buddy = friend(client, code, "anna@test.example")
    row = referral(app, buddy.id)
    assert row["status"] == "joined"
    assert _pushes(app, "referral_joined")[0]["values"] == {}  # no friend's name in a push
    listed = client.get("/api/v1/me/referrals", headers=referrer.headers).get_json()
    assert [(f["friend_name"], f["status"]) for f in listed] == [("Anna", "joined")]
    # Below the minimum: nothing yet.
    assert purchase(client, program, buddy.card_number, "19.99").status_code == 201
    assert referral(app, buddy.id)["status"] == "joined"
    # The first purchase of at least the minimum qualifies; the rewards are pending.
    assert purchase(client, program, buddy.card_number, "25.00").status_code == 201
    row = referral(app, buddy.id)
    assert row["status"] == "qualified"
    assert (row["friend_points"], row["referrer_points"]) == (100, 200)
    assert balances(app, referrer.id) == (0, 200)
    assert entries(app, award_key(row["public_id"], "friend")) == [(0, 100)]
    assert problems(app) == []
    # A later purchase changes nothing.
    purchase(client, program, buddy.card_number, "80.00")
    assert entries(app, award_key(row["public_id"], "referrer")) == [(0, 200)]
    # The hold passes: rewarded, the points available, the referrer told.
    assert settle(app, days=1) == 0
    assert settle(app) == 1
    release(app)
    assert referral(app, buddy.id)["status"] == "rewarded"
    assert balances(app, referrer.id) == (200, 0)
    assert _pushes(app, "referral_rewarded")[0]["values"] == {"points": 200}
    listed = client.get("/api/v1/me/referrals", headers=referrer.headers).get_json()
    assert listed[0]["status"] == "rewarded" and listed[0]["points"] == 200
    assert listed[0]["rewarded_at"] is not None
    assert settle(app) == 0  # once
    assert problems(app) == []


def test_a_refund_in_the_hold_reverses_both_rewards(app, client, program):
    referrer = signup(client, "sam@test.example")
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    bought = purchase(client, program, buddy.card_number, "30.00").get_json()
    assert balances(app, referrer.id) == (0, 200)
    # A partial refund that leaves the purchase above the minimum keeps the rewards.
    assert _refund(client, program, bought["id"], {"amount": "5.00"}, "r1").status_code == 201
    assert referral(app, buddy.id)["status"] == "qualified"
    # One that takes it below takes both back.
    assert _refund(client, program, bought["id"], {"amount": "10.00"}, "r2").status_code == 201
    row = referral(app, buddy.id)
    assert (row["status"], row["reason"]) == ("rejected", "purchase_refunded")
    assert row["reversed_at"] is not None
    assert balances(app, referrer.id) == (0, 0)
    for side, points in (("friend", 100), ("referrer", 200)):
        assert entries(app, award_key(row["public_id"], side) + ":reversal") == [(0, -points)]
    assert settle(app) == 0
    assert problems(app) == []


def test_a_refund_after_the_hold_keeps_the_rewards(app, client, program):
    referrer = signup(client, "sam@test.example")
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    bought = purchase(client, program, buddy.card_number, "30.00").get_json()
    settle(app)
    release(app)
    with app.app_context():
        from referrals.referrals.models import Referral

        # The hold has passed (as if 15 days went by).
        row = db.session.scalar(select(Referral))
        row.hold_until = row.hold_until.replace(year=row.hold_until.year - 1)
        db.session.commit()
    assert _refund(client, program, bought["id"], {}, "r").status_code == 201
    assert referral(app, buddy.id)["status"] == "rewarded"
    assert balances(app, referrer.id) == (200, 0)
    assert problems(app) == []


def test_codes_are_taken_with_spaces_hyphens_and_any_case(app, client, program):
    referrer = signup(client, "sam@test.example")
    code = code_of(client, referrer)
    typed = f"  {code[:4].lower()} - {code[4:]} "
    buddy = friend(client, typed, "anna@test.example")
    assert referral(app, buddy.id)["status"] == "joined"


def test_an_unknown_code_is_a_422_and_creates_nothing(app, client, program):
    before = _users(app)
    for typed in ("NOPE1234", "??", "a b", "ANNA!10"):
        res = client.post(
            "/api/v1/auth/signup",
            json={
                "email": "anna@test.example",
                "password": "member-password-1",
                "name": FRIEND_NAME,
                "language": "en",
                "referral_code": typed,
            },
        )
        assert res.status_code == 422, typed
        assert res.get_json()["error"]["code"] == "referral_code_invalid"
        assert res.get_json()["error"]["details"] == {"reason": "unknown"}
    assert _users(app) == before
    # An empty or absurd code is a validation error of the field.
    res = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "anna@test.example",
            "password": "member-password-1",
            "name": FRIEND_NAME,
            "language": "en",
            "referral_code": "",
        },
    )
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == "validation_error"
    assert "referral_code" in res.get_json()["error"]["details"]["fields"]["json"]
    # The address is still free.
    signup(client, "anna@test.example")


def test_ones_own_code_under_another_spelling_is_a_422(app, client, program):
    referrer = signup(client, "sam.smith@test.example")
    code = code_of(client, referrer)
    before = _users(app)
    for email in ("samsmith+2@test.example", "S.A.M.Smith@Test.Example"):
        res = client.post(
            "/api/v1/auth/signup",
            json={
                "email": email,
                "password": "member-password-1",
                "name": "Sam",
                "language": "en",
                "referral_code": code,
            },
        )
        assert res.status_code == 422, email
        assert res.get_json()["error"]["code"] == "self_referral"
    assert _users(app) == before
    assert client.get("/api/v1/me/referrals", headers=referrer.headers).get_json() == []


def test_an_ended_members_code_no_longer_works(app, client, program):
    referrer = signup(client, "sam@test.example")
    code = code_of(client, referrer)
    res = client.post(
        f"/api/v1/admin/members/{referrer.id}/end", headers=bearer(program.admin_token)
    )
    assert res.status_code == 200, res.get_json()
    res = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "anna@test.example",
            "password": "member-password-1",
            "name": FRIEND_NAME,
            "language": "en",
            "referral_code": code,
        },
    )
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == "referral_code_invalid"


def _device(client, member, fid: str) -> None:
    res = client.post(
        "/api/v1/me/devices", json={"fid": fid, "platform": "android"}, headers=member.headers
    )
    assert res.status_code in (200, 201), res.get_json()


def test_the_referrers_phone_signing_the_friend_up_is_flagged(app, client, program):
    referrer = signup(client, "sam@test.example")
    _device(client, referrer, "fid-of-sams-phone")
    code = code_of(client, referrer)
    # On Sam's phone: the app registers the same installation for the new account, which
    # moves the device to it.
    buddy = friend(client, code, "anna@test.example")
    _device(client, buddy, "fid-of-sams-phone")
    purchase(client, program, buddy.card_number, "40.00")
    row = referral(app, buddy.id)
    assert (row["status"], row["reason"]) == ("flagged", "shared_device")
    assert balances(app, referrer.id) == (0, 0)
    assert problems(app) == []


def test_the_same_wallet_is_flagged(app, client, program):
    from app.members.models import Member
    from passes.apple.models import AppleDevice, ApplePass, AppleRegistration

    referrer = signup(client, "sam@test.example")
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    with app.app_context():
        device = AppleDevice(device_library_id="sams-iphone")
        db.session.add(device)
        for public_id in (referrer.id, buddy.id):
            member = db.session.scalar(select(Member).where(Member.public_id == public_id))
            card = ApplePass(member_id=member.id, authentication_token="t" * 32, update_tag=1)
            db.session.add(card)
            db.session.flush()
            db.session.add(AppleRegistration(device_id=device.id, pass_id=card.id, push_token="x"))
        db.session.commit()
    purchase(client, program, buddy.card_number, "40.00")
    row = referral(app, buddy.id)
    assert (row["status"], row["reason"]) == ("flagged", "shared_wallet_device")


def test_an_existing_member_under_another_spelling_is_flagged(app, client, program):
    signup(client, "anna.k@test.example")
    referrer = signup(client, "sam@test.example")
    again = friend(client, code_of(client, referrer), "annak+new@test.example")
    purchase(client, program, again.card_number, "40.00")
    row = referral(app, again.id)
    assert (row["status"], row["reason"]) == ("flagged", "existing_member")


def test_a_referrer_earns_at_most_the_cap_per_period(app, client, program):
    settings(client, program, referrer_cap=1)
    referrer = signup(client, "sam@test.example")
    code = code_of(client, referrer)
    first = friend(client, code, "anna@test.example")
    second = friend(client, code, "ben@test.example", name="Ben")
    purchase(client, program, first.card_number, "40.00")
    purchase(client, program, second.card_number, "40.00")
    assert referral(app, first.id)["status"] == "qualified"
    row = referral(app, second.id)
    assert (row["status"], row["reason"]) == ("rejected", "referrer_cap_reached")
    assert balances(app, referrer.id) == (0, 200)
    assert balances(app, second.id)[1] == 40  # the friend's own purchase points only
    assert problems(app) == []


def test_one_referrer_per_member(app, client, program):
    from referrals.referrals import service

    first = signup(client, "sam@test.example")
    second = signup(client, "tom@test.example")
    buddy = friend(client, code_of(client, first), "anna@test.example")
    with app.app_context():
        from app.members.models import Member

        member = db.session.scalar(select(Member).where(Member.public_id == buddy.id))
        import pytest
        from sqlalchemy.exc import IntegrityError

        with pytest.raises(IntegrityError):
            service.join(member, code_of(client, second))
            db.session.flush()
        db.session.rollback()
    listed = client.get("/api/v1/me/referrals", headers=second.headers).get_json()
    assert listed == []


def test_a_reward_from_the_catalog_per_side(app, client, program):
    reward = client.post(
        "/api/v1/admin/rewards",
        json={"name": "Coffee", "cost_points": 150},
        headers=bearer(program.admin_token),
    ).get_json()
    settings(client, program, referrer_points=0, referrer_reward_id=reward["id"])
    referrer = signup(client, "sam@test.example")
    assert client.get("/api/v1/me/referral", headers=referrer.headers).get_json()["rewards"][
        "you"
    ] == {"points": 0, "reward_id": reward["id"]}
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    purchase(client, program, buddy.card_number, "40.00")
    # A code cannot be pending: it is granted when the hold has passed.
    assert client.get("/api/v1/me/redemptions", headers=referrer.headers).get_json() == []
    settle(app)
    codes = client.get("/api/v1/me/redemptions", headers=referrer.headers).get_json()
    assert [c["reward_id"] for c in codes] == [reward["id"]]
    assert _pushes(app, "referral_reward_granted")
    assert problems(app) == []


def test_the_push_switch(app, client, program):
    member = signup(client)
    prefs = client.get("/api/v1/me/notification-preferences", headers=member.headers).get_json()
    assert prefs["referrals"] is True
    res = client.patch(
        "/api/v1/me/notification-preferences", json={"referrals": False}, headers=member.headers
    )
    assert res.status_code == 200 and res.get_json()["referrals"] is False


def test_the_push_texts_are_in_every_language():
    from app.i18n import LANGUAGES
    from notifications.messages import CATALOG, render

    for template in ("referral_joined", "referral_rewarded", "referral_reward_granted"):
        assert set(CATALOG[template]) == set(LANGUAGES)
        for language in LANGUAGES:
            used, text = render(template, language, "en", {"points": 200})
            assert used == language and text.title and "{" not in text.body


def _statements_of(fn) -> int:
    from flask import current_app

    from tests.support import statements

    with statements(current_app._get_current_object()) as seen:
        fn()
    return len(seen)


def test_a_purchase_of_a_member_without_an_open_referral_asks_nothing_more(app, client, program):
    from app.ledger.service import lock_member_by_card
    from referrals.referrals.service import on_purchase_recorded

    regular = signup(client, "regular@test.example")
    referrer = signup(client, "sam@test.example")
    buddy = friend(client, code_of(client, referrer), "anna@test.example")
    with app.app_context():
        # The friend: the open referral, then the settings' minimum (the amount is below it).
        for handle, expected in ((regular, 0), (buddy, 2)):
            # What a purchase does first: the member's lock, with the member facts.
            member = lock_member_by_card(handle.card_number)
            payload = {"member_id": member.id, "amount_minor": 1, "purchase_id": "pur_x"}
            assert _statements_of(lambda p=payload: on_purchase_recorded(p)) == expected
            db.session.rollback()
