"""Campaigns over HTTP, delivered by the real firebase-admin to the fake FCM."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from app.extensions import db
from app.members.models import Member
from app.offers.models import Offer
from tests.fakes.fcm import FakeFcm
from tests.notifications.helpers import (
    CAMPAIGN_TEXTS,
    deliveries,
    get_campaign,
    make_campaign,
    make_offer,
    make_segment,
    member_with_device,
    send_campaign,
)
from tests.support import bearer, signup


def test_campaign_to_a_segment_reaches_fcm_in_each_members_language(
    app, client, program, fake_fcm: FakeFcm
) -> None:
    _aino, aino_phone = member_with_device(client, language="fi", name="Aino")
    _jan, jan_phone = member_with_device(client, language="pl", name="Jan", platform="ios")
    # Tagalog is not among the campaign's texts: the program's default (English) is used.
    _maria, maria_phone = member_with_device(client, language="tl", name="Maria")
    # An app version that only reports a registration token.
    _old, _old_phone = member_with_device(
        client, language="en", name="Olli", fid=None, token="legacy-token-olli"
    )
    no_consent, _ = member_with_device(client, language="fi", consent=False)
    outside, _ = member_with_device(client, language="en", name="Elsewhere")
    segment = make_segment(client, program, {"languages": ["fi", "pl", "tl", "en"]})
    # The segment is every language; the store rule below leaves out `outside`.
    with app.app_context():
        db.session.query(Member).filter(Member.public_id == outside.id).update({"language": "sv"})
        db.session.commit()
    offer = make_offer(client, program, ends_in=dt.timedelta(hours=5))
    campaign = make_campaign(client, program, segment_id=segment, offer_id=offer["id"])
    assert campaign["status"] == "draft"
    assert campaign["counts"]["targeted"] == 0

    sent = send_campaign(client, program, campaign["id"])
    started = dt.datetime.now(dt.UTC)

    assert sent["status"] == "sent"
    assert fake_fcm.violations == []
    by_target = {r.target: r for r in fake_fcm.requests}
    assert set(by_target) == {
        ("fid", aino_phone["fid"]),
        ("fid", jan_phone["fid"]),
        ("fid", maria_phone["fid"]),
        ("token", "legacy-token-olli"),
    }
    titles = {t: r.message["notification"]["title"] for t, r in by_target.items()}
    assert titles[("fid", aino_phone["fid"])] == "Hei Aino, tuplapisteet"
    assert titles[("fid", jan_phone["fid"])] == "Cześć Jan, podwójne punkty"
    assert titles[("fid", maria_phone["fid"])] == "Hi Maria, double points"
    assert titles[("token", "legacy-token-olli")] == "Hi Olli, double points"
    assert by_target[("fid", aino_phone["fid"])].message["notification"]["body"] == (
        "Koko viikonlopun."
    )

    ends = dt.datetime.fromisoformat(offer["ends_at"])
    made = {d.public_id: d for d in deliveries(app)}
    for request in by_target.values():
        message = request.message
        assert request.http_version == "2"  # send_each_async over HTTP/2
        data = message["data"]
        assert data["deep_link"] == f"loyalty://offers/{offer['id']}"
        assert data["campaign_id"] == campaign["id"]
        assert data["kind"] == "campaign"
        assert made[data["delivery_id"]].status == "sent"
        # The time-to-live ends with the offer, on Android and on iOS.
        assert message["android"]["collapse_key"] == campaign["id"]
        ttl = int(message["android"]["ttl"].removesuffix("s"))
        assert abs((started + dt.timedelta(seconds=ttl)) - ends) < dt.timedelta(seconds=5)
        headers = message["apns"]["headers"]
        assert headers["apns-collapse-id"] == campaign["id"]
        assert abs(int(headers["apns-expiration"]) - math.floor(ends.timestamp())) <= 5

    counts = get_campaign(client, program, campaign["id"])["counts"]
    assert counts == {
        "targeted": 4,
        "members": 4,
        "sent": 4,
        "failed": 0,
        "token_removed": 0,
        "expired": 0,
        "skipped": 0,
        "opened": 0,
        "scheduled": 0,
        "pending": 0,
    }
    assert {no_consent.id, outside.id}.isdisjoint({d.member_id for d in made.values()})


def test_a_campaign_without_an_offer_links_to_itself_and_does_not_expire(
    client, program, fake_fcm: FakeFcm
) -> None:
    member_with_device(client)
    campaign = make_campaign(client, program)  # no segment: every consenting member
    send_campaign(client, program, campaign["id"])
    (message,) = fake_fcm.delivered
    assert message["data"]["deep_link"] == f"loyalty://campaigns/{campaign['id']}"
    assert "ttl" not in message["android"]
    assert "apns-expiration" not in message["apns"]["headers"]


def test_opened_is_counted_once_and_only_for_the_owner(client, program, app) -> None:
    member, _ = member_with_device(client)
    stranger = signup(client, "stranger@test.example")
    campaign = make_campaign(client, program)
    send_campaign(client, program, campaign["id"])
    (delivery,) = deliveries(app)
    url = f"/api/v1/me/notifications/{delivery.public_id}/opened"

    assert client.post(url, headers=stranger.headers).status_code == 404
    first = client.post(url, headers=member.headers)
    again = client.post(url, headers=member.headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json()["opened_at"] == again.get_json()["opened_at"]
    assert first.get_json()["id"] == delivery.public_id
    assert get_campaign(client, program, campaign["id"])["counts"]["opened"] == 1
    missing = client.post("/api/v1/me/notifications/ntf_nope/opened", headers=member.headers)
    assert missing.get_json()["error"]["code"] == "notification_not_found"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=bearer(program.admin_token)).status_code == 403


def test_a_notification_not_yet_sent_cannot_be_opened(make_push_app) -> None:
    app = make_push_app(PUSH_QUIET_HOURS=_quiet_now())
    client = app.test_client()
    from tests.support import seed_program

    program = seed_program(app)
    member, _ = member_with_device(client, timezone="UTC")
    send_campaign(client, program, make_campaign(client, program)["id"])
    (delivery,) = deliveries(app)
    assert delivery.status == "pending"
    res = client.post(
        f"/api/v1/me/notifications/{delivery.public_id}/opened", headers=member.headers
    )
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "notification_not_sent")


def _quiet_now() -> str:
    """Quiet hours (UTC) that hold right now and end in about two hours."""
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(hours=2)
    return f"{start:%H:%M}-{end:%H:%M}"


def test_campaign_list_get_and_send_twice(client, program) -> None:
    member_with_device(client)
    first = make_campaign(client, program, name="First")
    second = make_campaign(client, program, name="Second")
    send_campaign(client, program, first["id"])
    listed = client.get("/api/v1/admin/campaigns", headers=bearer(program.admin_token)).get_json()
    assert [(c["name"], c["status"], c["counts"]["sent"]) for c in listed] == [
        ("Second", "draft", 0),
        ("First", "sent", 1),
    ]
    again = client.post(
        f"/api/v1/admin/campaigns/{first['id']}/send", headers=bearer(program.admin_token)
    )
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "campaign_already_sent")
    missing = client.get("/api/v1/admin/campaigns/cmp_nope", headers=bearer(program.admin_token))
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "campaign_not_found")
    send_missing = client.post(
        "/api/v1/admin/campaigns/cmp_nope/send", headers=bearer(program.admin_token)
    )
    assert send_missing.status_code == 404
    assert second["id"] != first["id"]


def test_campaign_endpoints_are_for_admins(client, program) -> None:
    member = signup(client, "not-admin@test.example")
    body = {"name": "x", **CAMPAIGN_TEXTS}
    assert client.post("/api/v1/admin/campaigns", json=body).status_code == 401
    for headers in (member.headers, bearer(program.staff_token)):
        assert client.post("/api/v1/admin/campaigns", json=body, headers=headers).status_code == 403
        assert client.get("/api/v1/admin/campaigns", headers=headers).status_code == 403
        assert client.get("/api/v1/admin/campaigns/cmp_x", headers=headers).status_code == 403
        assert client.post("/api/v1/admin/campaigns/cmp_x/send", headers=headers).status_code == 403


def _past() -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"title": {}}, "title"),
        ({"title": {"sv": "Hej"}, "body": {"sv": "Hej"}}, "title"),
        ({"title": {"en": "Hi", "fi": "Hei"}, "body": {"en": "All weekend."}}, "body"),
        ({"title": {"en": "Hi {first_name}"}, "body": {"en": "x"}}, "title"),
        ({"title": {"en": "Hi {name.__class__}"}, "body": {"en": "x"}}, "title"),
        ({"title": {"en": "Hi {"}, "body": {"en": "x"}}, "title"),
        ({"title": {"en": "x" * 121}, "body": {"en": "x"}}, "title"),
        ({"send_at": "tomorrow"}, "send_at"),
        ({"send_at": "2030-01-01T10:00:00"}, "send_at"),  # no timezone
        ({"deep_link": "javascript alert(1)"}, "deep_link"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_campaigns_are_422_with_the_field(client, program, change, field) -> None:
    body = {"name": "Weekend", **CAMPAIGN_TEXTS} | change
    res = client.post("/api/v1/admin/campaigns", json=body, headers=bearer(program.admin_token))
    assert res.status_code == 422, res.get_json()
    assert field in res.get_json()["error"]["details"]["fields"]["json"]


def test_campaign_references_and_times_are_checked(app, client, program) -> None:
    admin = bearer(program.admin_token)

    def create(**change):
        body = {"name": "Weekend", **CAMPAIGN_TEXTS} | change
        return client.post("/api/v1/admin/campaigns", json=body, headers=admin)

    no_fallback = create(title={"fi": "Hei"}, body={"fi": "Moi"})
    assert no_fallback.status_code == 422
    assert "title" in no_fallback.get_json()["error"]["details"]["fields"]
    unknown_segment = create(segment_id="seg_nope")
    assert unknown_segment.get_json()["error"]["details"]["fields"] == {
        "segment_id": ["unknown id"]
    }
    assert create(offer_id="off_nope").status_code == 422
    past = create(send_at=_past())
    assert past.get_json()["error"]["details"]["fields"] == {"send_at": ["past"]}
    offer = make_offer(client, program)
    with app.app_context():
        db.session.query(Offer).update({"ends_at": dt.datetime.now(dt.UTC)})
        db.session.commit()
    ended = create(offer_id=offer["id"])
    assert (ended.status_code, ended.get_json()["error"]["code"]) == (422, "offer_ended")


def test_a_campaign_for_later_waits_for_its_time(client, program, app, fake_fcm) -> None:
    from tests.notifications.helpers import jobs, run_due_jobs

    member_with_device(client)
    send_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    campaign = make_campaign(client, program, send_at=send_at.isoformat())
    queued = send_campaign(client, program, campaign["id"])
    assert queued["status"] == "scheduled"
    assert fake_fcm.delivered == []
    (job,) = jobs(app, "push.campaign.fanout")
    assert abs(job.available_at - send_at) < dt.timedelta(seconds=5)
    assert run_due_jobs(app) >= 1  # three hours later
    assert len(fake_fcm.delivered) == 1
    assert get_campaign(client, program, campaign["id"])["status"] == "sent"


def test_an_offer_campaign_whose_offer_ended_before_its_time_is_not_sent(
    client, program, app, fake_fcm
) -> None:
    from tests.notifications.helpers import run_due_jobs

    member_with_device(client)
    offer = make_offer(client, program, ends_in=dt.timedelta(hours=1))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    campaign = make_campaign(client, program, offer_id=offer["id"], send_at=later.isoformat())
    send_campaign(client, program, campaign["id"])
    with app.app_context():
        db.session.query(Offer).update({"ends_at": dt.datetime.now(dt.UTC)})
        db.session.commit()
    run_due_jobs(app)
    assert fake_fcm.delivered == []
    assert get_campaign(client, program, campaign["id"])["status"] == "expired"
    assert deliveries(app, kind="campaign") == []


def test_sending_to_fids_and_legacy_tokens_raises_no_deprecation_warning(
    client, program, fake_fcm
) -> None:
    import warnings

    member_with_device(client)  # addressed by fid
    member_with_device(client, fid=None, token="legacy-token-w")  # firebase-admin 7 warns on token=
    campaign = make_campaign(client, program)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        send_campaign(client, program, campaign["id"])
    targets = sorted("fid" if "fid" in m else "token" for m in fake_fcm.delivered)
    assert targets == ["fid", "token"]
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert deprecations == [], [f"{w.filename}:{w.lineno} {w.message}" for w in deprecations]
