"""Interests: the admins' catalog, the member's choice and channels, the segment criterion,
and the catalog's and the offers' `for_you`."""

from __future__ import annotations

from datetime import timedelta

from tests.community.helpers import admin_post, iso, member
from tests.support import bearer


def _interest(client, program, code, **fields):
    body = {"code": code, "name": {"en": code.title(), "fi": f"{code}-fi"}} | fields
    return admin_post(client, program, "/api/v1/admin/interests", body)


def test_members_choose_interests_and_channels(app, client, program):
    _interest(client, program, "coffee")
    _interest(client, program, "running")
    aino = member(app, client)
    res = client.put(
        "/api/v1/me/interests",
        json={"interests": ["coffee", "running"], "communication": {"push": ["coffee"]}},
        headers=aino.headers,
    )
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["interests"] == ["coffee", "running"]
    assert body["communication"] == {"push": ["coffee"], "email": []}
    assert [(i["code"], i["name"], i["chosen"]) for i in body["catalog"]] == [
        ("coffee", "coffee-fi", True),
        ("running", "running-fi", True),
    ]
    # Dropping an interest drops it from the channels too.
    res = client.put("/api/v1/me/interests", json={"interests": ["running"]}, headers=aino.headers)
    assert res.get_json()["communication"] == {"push": [], "email": []}
    assert client.get("/api/v1/me/interests", headers=aino.headers).get_json()["interests"] == [
        "running"
    ]


def test_unknown_or_unchosen_interests_are_a_422(app, client, program):
    _interest(client, program, "coffee")
    aino = member(app, client)
    res = client.put("/api/v1/me/interests", json={"interests": ["golf"]}, headers=aino.headers)
    assert (res.status_code, res.get_json()["error"]["code"]) == (422, "unknown_interest")
    res = client.put(
        "/api/v1/me/interests",
        json={"interests": [], "communication": {"email": ["coffee"]}},
        headers=aino.headers,
    )
    assert res.status_code == 422
    dup = client.post(
        "/api/v1/admin/interests",
        json={"code": "coffee", "name": {"en": "x"}},
        headers=bearer(program.admin_token),
    )
    assert (dup.status_code, dup.get_json()["error"]["code"]) == (409, "interest_code_taken")


def test_segments_by_interest_and_channel(app, client, program):
    _interest(client, program, "coffee")
    _interest(client, program, "running")
    fan, quiet, other = member(app, client), member(app, client), member(app, client)
    for handle, codes, push in (
        (fan, ["coffee"], ["coffee"]),
        (quiet, ["coffee"], []),
        (other, ["running"], []),
    ):
        body = {"interests": codes, "communication": {"push": push}}
        assert (
            client.put("/api/v1/me/interests", json=body, headers=handle.headers).status_code == 200
        )
    headers = bearer(program.admin_token)

    def count(rules):
        res = client.post(
            "/api/v1/admin/segments", json={"name": "s", "rules": rules}, headers=headers
        )
        assert res.status_code == 201, res.get_json()
        preview = client.get(
            f"/api/v1/admin/segments/{res.get_json()['id']}/preview", headers=headers
        )
        return preview.get_json()["count"]

    assert count({"interests": ["coffee"]}) == 2
    assert count({"interests": ["coffee"], "interests_channel": "push"}) == 1
    assert count({"interests": ["coffee", "running"]}) == 3


def test_the_catalog_and_the_offers_put_the_members_interests_first(app, client, program):
    headers = bearer(program.admin_token)
    rewards = [
        admin_post(client, program, "/api/v1/admin/rewards", {"name": n, "cost_points": c})
        for n, c in (("Tote", 10), ("Coffee", 20), ("Socks", 30))
    ]
    offers = []
    for title in ("First", "Second"):
        offers.append(
            admin_post(
                client,
                program,
                "/api/v1/admin/offers",
                {
                    "title": {"en": title},
                    "starts_at": iso(-timedelta(hours=1)),
                    "ends_at": iso(timedelta(days=1)),
                    "benefit": "bonus_points",
                    "points": 5,
                },
            )
        )
    _interest(client, program, "coffee", reward_ids=[rewards[1]["id"]], offer_ids=[offers[1]["id"]])
    aino, emma = member(app, client), member(app, client)
    client.put("/api/v1/me/interests", json={"interests": ["coffee"]}, headers=aino.headers)

    catalog = client.get("/api/v1/rewards", headers=aino.headers).get_json()
    assert [(r["name"], r["for_you"]) for r in catalog] == [
        ("Coffee", True),
        ("Tote", False),
        ("Socks", False),
    ]
    plain = client.get("/api/v1/rewards", headers=emma.headers).get_json()
    assert [(r["name"], r["for_you"]) for r in plain] == [
        ("Tote", False),
        ("Coffee", False),
        ("Socks", False),
    ]
    listed = client.get("/api/v1/offers", headers=aino.headers).get_json()
    assert [(o["title"], o["for_you"]) for o in listed] == [("Second", True), ("First", False)]
    res = client.post(
        "/api/v1/admin/interests",
        json={"code": "tea", "name": {"en": "Tea"}, "reward_ids": ["rwd_nope"]},
        headers=headers,
    )
    assert res.status_code == 422


def test_polls_and_events_can_target_by_interest(app, client, program):
    from tests.community.helpers import event_body, poll_body

    _interest(client, program, "coffee")
    fan, other = member(app, client, "gold"), member(app, client, "gold")
    client.put("/api/v1/me/interests", json={"interests": ["coffee"]}, headers=fan.headers)
    poll = admin_post(client, program, "/api/v1/admin/polls", poll_body(interests=["coffee"]))
    event = admin_post(client, program, "/api/v1/admin/events", event_body(interests=["coffee"]))
    assert [p["id"] for p in client.get("/api/v1/polls", headers=fan.headers).get_json()] == [
        poll["id"]
    ]
    assert client.get("/api/v1/polls", headers=other.headers).get_json() == []
    (seen,) = client.get("/api/v1/events", headers=fan.headers).get_json()
    assert (seen["id"], seen["for_you"]) == (event["id"], True)
    res = client.post(
        f"/api/v1/events/{event['id']}/rsvp", headers=other.headers | {"Idempotency-Key": "k"}
    )
    assert (res.status_code, res.get_json()["error"]["code"]) == (403, "event_not_eligible")
