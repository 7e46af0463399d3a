"""Transactional pushes on the core's events, localized, each behind its preference switch."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from app import events
from app.extensions import db
from app.members.models import Member
from tests.fakes.fcm import FakeFcm
from tests.notifications.helpers import deliveries, make_offer, member_with_device
from tests.support import bearer, purchase, signup


def _member_id(app, public_id: str) -> int:
    with app.app_context():
        return db.session.query(Member.id).filter(Member.public_id == public_id).scalar()


def test_a_purchase_sends_one_points_push_in_the_members_language(
    app, client, program, fake_fcm: FakeFcm
) -> None:
    from app.models_base import utcnow
    from app.purchases.models import EarningRule

    with app.app_context():  # a bonus rule: the purchase earns base and bonus points
        db.session.add(
            EarningRule(
                name="Double",
                kind="multiplier",
                multiplier=Decimal(2),
                starts_at=utcnow() - dt.timedelta(days=1),
                ends_at=utcnow() + dt.timedelta(days=1),
            )
        )
        db.session.commit()
    member, phone = member_with_device(client, language="fi")
    res = purchase(client, program, member.card_number, "25.00")
    assert res.status_code == 201, res.get_json()
    points = res.get_json()["points_earned"]
    assert points == 50

    (message,) = fake_fcm.delivered
    assert message["fid"] == phone["fid"]
    assert message["notification"] == {
        "title": "Ansaitsit 50 pistettä",
        "body": "Kiitos! Pisteet ovat nyt kortillasi.",
    }
    assert message["data"]["deep_link"] == "loyalty://points"
    assert message["data"]["kind"] == "points_earned"
    assert "campaign_id" not in message["data"]
    (delivery,) = deliveries(app)
    assert (delivery.kind, delivery.campaign_id, delivery.status) == ("points_earned", None, "sent")
    assert message["data"]["delivery_id"] == delivery.public_id


def test_points_given_outside_a_purchase_are_pushed(app, client, program, fake_fcm) -> None:
    from app.ledger.service import award_points

    member, _ = member_with_device(client, language="pl")
    with app.app_context():
        award_points(
            _member_id(app, member.id),
            30,
            idempotency_key="quiz:1",
            reason="Quiz",
            reference_type="quiz",
            reference_id="q1",
        )
        db.session.commit()
    assert [m["notification"]["title"] for m in fake_fcm.delivered] == ["Zdobyłeś 30 pkt"]


def test_a_tier_upgrade_is_pushed(app, client, program, fake_fcm) -> None:
    member, _ = member_with_device(client, language="en")
    purchase(client, program, member.card_number, "1000.00")  # 1000 points reach Gold
    titles = [m["notification"]["title"] for m in fake_fcm.delivered]
    assert sorted(titles) == ["Welcome to Gold!", "You earned 1000 points"]
    tier = next(m for m in fake_fcm.delivered if m["data"]["kind"] == "tier_changed")
    assert tier["data"]["deep_link"] == "loyalty://tier"


def test_games_events_published_by_name_are_pushed(app, client, program, fake_fcm) -> None:
    member, _ = member_with_device(client, language="fi")
    member_id = _member_id(app, member.id)
    with app.app_context():
        events.publish(
            db.session,
            "challenge.completed",
            {
                "member_id": member_id,
                "challenge_id": "chl_1",
                "name": {"en": "Five visits", "fi": "Viisi käyntiä"},
            },
        )
        events.publish(db.session, "contest.won", {"member_id": member_id, "contest_id": "con_1"})
        db.session.commit()
    got = {m["data"]["kind"]: m for m in fake_fcm.delivered}
    assert got["challenge_completed"]["notification"] == {
        "title": "Haaste suoritettu!",
        "body": "Suoritit haasteen ”Viisi käyntiä”. Hienoa!",
    }
    assert got["challenge_completed"]["data"]["deep_link"] == "loyalty://challenges/chl_1"
    assert got["contest_won"]["notification"]["body"] == (
        "Onneksi olkoon! Katso palkintosi sovelluksesta."
    )
    assert got["contest_won"]["data"]["deep_link"] == "loyalty://contests/con_1"


def test_referral_events_published_by_name_are_pushed(app, client, program, fake_fcm) -> None:
    member, _ = member_with_device(client, language="pl")
    member_id = _member_id(app, member.id)
    with app.app_context():
        events.publish(
            db.session, "referral.joined", {"member_id": member_id, "referral_id": "rfl_1"}
        )
        events.publish(
            db.session,
            "referral.rewarded",
            {"member_id": member_id, "referral_id": "rfl_1", "points": 200},
        )
        events.publish(
            db.session,
            "referral.rewarded",
            {"member_id": member_id, "referral_id": "rfl_2", "points": 0},
        )
        db.session.commit()
    got = sorted(
        ((m["data"]["kind"], m["notification"]) for m in fake_fcm.delivered),
        key=lambda pair: pair[1]["body"],
    )
    assert got == [
        (
            "referrals",
            {"title": "Nagroda za polecenie", "body": "200 pkt za przyprowadzenie znajomego."},
        ),
        (
            "referrals",
            {"title": "Nagroda za polecenie", "body": "Dziękujemy za przyprowadzenie znajomego."},
        ),
        (
            "referrals",
            {
                "title": "Znajomy dołączył!",
                "body": "Użył Twojego kodu. Jego pierwszy zakup nagrodzi was oboje.",
            },
        ),
    ]
    assert {m["data"]["deep_link"] for m in fake_fcm.delivered} == {"loyalty://referrals"}


def test_an_offer_ending_soon_is_reminded_once_per_claim(app, client, program, fake_fcm) -> None:
    from notifications.transactional.service import remind_expiring_claims

    member, phone = member_with_device(client, language="en", timezone="UTC")
    soon = make_offer(client, program, ends_in=dt.timedelta(hours=5))
    later = make_offer(client, program, ends_in=dt.timedelta(days=5))
    for offer in (soon, later):
        res = client.post(
            f"/api/v1/offers/{offer['id']}/claim",
            headers=member.headers | {"Idempotency-Key": uuid.uuid4().hex},
        )
        assert res.status_code == 201, res.get_json()

    with app.app_context():
        assert remind_expiring_claims() == 1
        assert remind_expiring_claims() == 0  # once per claim

    (message,) = fake_fcm.delivered
    assert message["fid"] == phone["fid"]
    assert message["notification"] == {
        "title": "Your offer ends soon",
        "body": "“Bonus weekend” ends in 5 h. Use it in time.",
    }
    assert message["data"]["deep_link"] == f"loyalty://offers/{soon['id']}"
    ends = dt.datetime.fromisoformat(soon["ends_at"])
    ttl = int(message["android"]["ttl"].removesuffix("s"))
    assert abs(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl) - ends) < dt.timedelta(seconds=5)


SWITCHES = [
    "points_earned",
    "tier_changed",
    "challenge_completed",
    "contest_won",
    "offer_expiring",
    # The referrals' (referrals/).
    "referrals",
    # The community's pushes (community/).
    "survey_invitation",
    "poll_result",
    "event_waitlist",
]


def test_preferences_default_on_and_patch(client, program) -> None:
    member = signup(client, "prefs@test.example")
    url = "/api/v1/me/notification-preferences"
    assert client.get(url, headers=member.headers).get_json() == dict.fromkeys(SWITCHES, True)
    res = client.patch(url, json={"points_earned": False}, headers=member.headers)
    assert res.status_code == 200
    expected = dict.fromkeys(SWITCHES, True) | {"points_earned": False}
    assert res.get_json() == expected
    assert client.get(url, headers=member.headers).get_json() == expected
    again = client.patch(
        url, json={"points_earned": True, "contest_won": False}, headers=member.headers
    )
    assert again.get_json() == dict.fromkeys(SWITCHES, True) | {"contest_won": False}


@pytest.mark.parametrize(
    "body",
    [{}, {"points_earned": "maybe"}, {"marketing": False}, {"points_earned": None}, []],
)
def test_bad_preference_patches_are_422(client, program, body) -> None:
    member = signup(client, "prefs-bad@test.example")
    res = client.patch("/api/v1/me/notification-preferences", json=body, headers=member.headers)
    assert res.status_code == 422, res.get_json()
    assert res.get_json()["error"]["code"] == "validation_error"


def test_preferences_need_a_member(client, program) -> None:
    url = "/api/v1/me/notification-preferences"
    assert client.get(url).status_code == 401
    assert client.patch(url, json={"points_earned": False}).status_code == 401
    assert client.get(url, headers=bearer(program.admin_token)).status_code == 403


@pytest.mark.parametrize("switch", SWITCHES)
def test_each_switch_silences_its_push_only(app, client, program, fake_fcm, switch) -> None:
    from notifications.transactional.service import remind_expiring_claims

    member, _ = member_with_device(client, language="en", timezone="UTC")
    client.patch(
        "/api/v1/me/notification-preferences", json={switch: False}, headers=member.headers
    )
    member_id = _member_id(app, member.id)
    offer = make_offer(client, program, ends_in=dt.timedelta(hours=3))
    client.post(
        f"/api/v1/offers/{offer['id']}/claim",
        headers=member.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    purchase(client, program, member.card_number, "1000.00")  # points and a tier upgrade
    with app.app_context():
        events.publish(db.session, "challenge.completed", {"member_id": member_id, "name": "A"})
        events.publish(db.session, "contest.won", {"member_id": member_id, "name": "B"})
        # The community's, by name as it publishes them.
        events.publish(
            db.session,
            "community.survey_invited",
            {"member_id": member_id, "survey_id": "srv_1", "name": {"en": "S"}, "store": "Kamppi"},
        )
        events.publish(
            db.session,
            "community.poll_winner",
            {
                "member_id": member_id,
                "poll_id": "pol_1",
                "name": {"en": "P"},
                "winner": {"en": "W"},
            },
        )
        events.publish(
            db.session,
            "community.waitlist_promoted",
            {"member_id": member_id, "event_id": "evt_1", "rsvp_id": "rsv_1", "name": {"en": "E"}},
        )
        # The referrals', by name too.
        events.publish(db.session, "referral.joined", {"member_id": member_id, "referral_id": "r"})
        db.session.commit()
        remind_expiring_claims()
    kinds = sorted(m["data"]["kind"] for m in fake_fcm.delivered)
    assert kinds == sorted(set(SWITCHES) - {switch})


def test_an_ended_membership_deactivates_its_devices(app, client, program, fake_fcm) -> None:
    member, phone = member_with_device(client)
    res = client.post(
        f"/api/v1/admin/members/{member.id}/end",
        json={"reason": "Asked to leave"},
        headers=bearer(program.admin_token),
    )
    assert res.status_code in (200, 204), res.get_json()
    from notifications.devices.models import Device

    with app.app_context():
        device = db.session.query(Device).one()
        assert (device.active, device.deactivated_reason) == (False, "membership_ended")
    assert phone
