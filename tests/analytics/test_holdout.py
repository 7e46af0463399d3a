"""Holdout groups: drawn by a keyed hash, stable per member and subject, in the share asked
for; held-out members neither see nor claim an offer, nor get a campaign's push; the groups
are recorded once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.consents.models import ConsentRecord
from app.extensions import db
from app.holdout import rules
from app.holdout.models import HoldoutAssignment
from app.models_base import utcnow
from app.offers import service as offers
from app.offers.models import Offer
from tests.analytics.builder import Builder
from tests.support import bearer

SALT = b"a test salt"
PASSWORD = "member-password-1"


def test_the_draw_is_stable_and_in_the_share_asked_for():
    members = range(1, 20_001)
    for percent in (10, 30, 50):
        held = [m for m in members if rules.held_out(SALT, "campaign", 7, m, percent)]
        # Binomial: 20,000 draws at 30 % have a standard deviation of 0.32 %; 1.5 % is 4.6 of it.
        assert abs(len(held) / len(members) - percent / 100) < 0.015, percent
        # Asked again, the same members.
        assert held == [m for m in members if rules.held_out(SALT, "campaign", 7, m, percent)]
    assert not any(rules.held_out(SALT, "campaign", 7, m, 0) for m in members)
    # Another campaign draws independently: about a quarter are held out of both at 50 %.
    both = sum(
        rules.held_out(SALT, "campaign", 7, m, 50) and rules.held_out(SALT, "campaign", 8, m, 50)
        for m in members
    )
    assert abs(both / len(members) - 0.25) < 0.015
    # A larger share keeps everyone a smaller one held out.
    small = {m for m in members if rules.held_out(SALT, "offer", 3, m, 20)}
    assert small <= {m for m in members if rules.held_out(SALT, "offer", 3, m, 40)}
    # Another salt, another draw.
    assert small != {m for m in members if rules.held_out(b"other", "offer", 3, m, 20)}


def _members(n: int) -> list:
    b = Builder()
    store = b.store("main", "south")
    now = utcnow()
    out = []
    for i in range(n):
        member = b.member(f"m{i}", now - timedelta(days=40), store, password=PASSWORD)
        db.session.add(
            ConsentRecord(
                member_id=member.id,
                purpose="marketing_push",
                granted=True,
                text_version="1",
                channel="app",
            )
        )
        out.append(member)
    db.session.commit()
    return out


def _token(member) -> dict:
    from app.auth.models import User
    from app.auth.service import login

    email = db.session.get(User, member.user_id).email
    return bearer(login(email, PASSWORD)[1].access_token)


def test_held_out_members_neither_see_nor_claim_the_offer_and_are_recorded(app, client):
    admin_headers = _admin(app)
    with app.app_context():
        members = [(m.id, _token(m)) for m in _members(16)]
    start = utcnow() - timedelta(minutes=1)
    body = {
        "title": {"en": "Double points"},
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=7)).isoformat(),
        "benefit": "gift_points",
        "points": 10,
        "holdout_percent": 50,
    }
    res = client.post("/api/v1/admin/offers", json=body, headers=admin_headers)
    assert res.status_code == 201, res.get_json()
    offer_id = res.get_json()["id"]
    with app.app_context():
        offer = db.session.scalar(select(Offer).where(Offer.public_id == offer_id))
        held = {m for m, _ in members if offers.held_out(offer, m)}
    assert 0 < len(held) < len(members)
    for member_id, headers in members:
        res = client.get("/api/v1/offers", headers=headers)
        assert res.status_code == 200, res.get_json()
        live = [o["id"] for o in res.get_json()]
        claim = client.post(
            f"/api/v1/offers/{offer_id}/claim",
            headers=headers | {"Idempotency-Key": f"k{member_id}"},
        )
        if member_id in held:
            assert offer_id not in live
            assert (claim.status_code, claim.get_json()["error"]["code"]) == (
                403,
                "offer_not_eligible",
            )
        else:
            assert offer_id in live
            assert claim.status_code == 201, claim.get_json()

    with app.app_context():
        # The start's job records the audience once, with the same draw.
        assert offers.record_holdouts() == 1
        assert offers.record_holdouts() == 0
        rows = dict(
            db.session.execute(
                select(HoldoutAssignment.member_id, HoldoutAssignment.held_out).where(
                    HoldoutAssignment.subject_kind == "offer",
                    HoldoutAssignment.subject_id == offer.id,
                )
            ).all()
        )
    assert rows == {m: m in held for m, _ in members}
    # Once recorded, the share is fixed.
    res = client.patch(
        f"/api/v1/admin/offers/{offer_id}", json={"holdout_percent": 20}, headers=admin_headers
    )
    assert res.status_code == 422
    assert "holdout_percent" in res.get_json()["error"]["details"]["fields"]


def test_a_campaign_sends_to_the_treated_and_records_both_groups(app, client):
    from notifications.campaigns.models import Campaign
    from notifications.delivery.fanout import fan_out
    from notifications.delivery.models import Delivery
    from notifications.devices.models import Device

    with app.app_context():
        members = _members(20)
        for member in members:
            db.session.add(Device(member_id=member.id, fid=f"fid-{member.id}", platform="android"))
        campaign = Campaign(
            name="Spring",
            title={"en": "Hi"},
            body={"en": "Spring is here"},
            status="sending",
            holdout_percent=40,
        )
        db.session.add(campaign)
        db.session.commit()
        held = {m.id for m in members if rules.held_out(_salt(), "campaign", campaign.id, m.id, 40)}
        assert 0 < len(held) < len(members)
        made = fan_out(campaign.id, pace=False, enqueue=False)
        sent_to = set(
            db.session.scalars(
                select(Delivery.member_id).where(Delivery.campaign_id == campaign.id)
            )
        )
        assert sent_to == {m.id for m in members} - held
        assert made == len(members) - len(held)
        recorded = dict(
            db.session.execute(
                select(HoldoutAssignment.member_id, HoldoutAssignment.held_out).where(
                    HoldoutAssignment.subject_kind == "campaign"
                )
            ).all()
        )
        assert recorded == {m.id: m.id in held for m in members}
        # A fan-out run again records nobody twice.
        db.session.get(Campaign, campaign.id).status = "sending"
        db.session.commit()
        fan_out(campaign.id, pace=False, enqueue=False)
        assert db.session.scalar(select(func.count()).select_from(HoldoutAssignment)) == len(
            members
        )


def _salt() -> bytes:
    from app.holdout.service import salt

    return salt()


def _admin(app) -> dict:
    from app.auth.service import create_user, login

    with app.app_context():
        create_user("boss@test.example", "boss-password-1", "admin")
        db.session.commit()
        return bearer(login("boss@test.example", "boss-password-1")[1].access_token)
