"""Product votes over HTTP: the tiers and the window, one vote per candidate within the
member's votes, results live or after the close, the winner told to the voters."""

from __future__ import annotations

from datetime import timedelta

from tests.community.helpers import admin_post, iso, member, poll_body, push_deliveries
from tests.notifications.helpers import member_with_device
from tests.support import bearer


def _vote(client, handle, poll, candidate):
    return client.post(
        f"/api/v1/polls/{poll['id']}/votes",
        json={"candidate_id": candidate},
        headers=handle.headers,
    )


def test_gold_and_platinum_vote_others_are_refused(app, client, program):
    poll = admin_post(client, program, "/api/v1/admin/polls", poll_body())
    candidate = poll["candidates"][0]["id"]
    gold, platinum, silver = (member(app, client, t) for t in ("gold", "platinum", "silver"))
    for handle in (gold, platinum):
        res = _vote(client, handle, poll, candidate)
        assert res.status_code == 201, res.get_json()
        assert res.get_json()["votes_left"] == 0
    res = _vote(client, silver, poll, candidate)
    assert (res.status_code, res.get_json()["error"]["code"]) == (403, "poll_not_eligible")
    assert client.get("/api/v1/polls", headers=silver.headers).get_json() == []
    (seen,) = client.get("/api/v1/polls", headers=gold.headers).get_json()
    assert seen["title"] == "Seuraava tuote"  # fi
    assert seen["my_votes"] == [candidate]
    # Results after the close by default: hidden while it runs.
    assert seen["results_visible"] is False and seen["candidates"][0]["votes"] is None


def test_one_vote_per_candidate_within_the_members_votes(app, client, program):
    poll = admin_post(client, program, "/api/v1/admin/polls", poll_body(votes_per_member=2))
    a, b, c = (x["id"] for x in poll["candidates"])
    gold = member(app, client, "gold")
    assert _vote(client, gold, poll, a).get_json()["votes_left"] == 1
    res = _vote(client, gold, poll, a)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "already_voted")
    assert _vote(client, gold, poll, b).status_code == 201
    res = _vote(client, gold, poll, c)
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "vote_limit_reached")
    res = _vote(client, gold, poll, "pcd_unknown")
    assert res.status_code == 422


def test_votes_outside_the_window_are_refused(app, client, program):
    later = admin_post(
        client,
        program,
        "/api/v1/admin/polls",
        poll_body(starts_at=iso(timedelta(days=1)), ends_at=iso(timedelta(days=2))),
    )
    gold = member(app, client, "gold")
    res = _vote(client, gold, later, later["candidates"][0]["id"])
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "poll_not_started")
    poll = admin_post(client, program, "/api/v1/admin/polls", poll_body())
    headers = bearer(program.admin_token)
    assert (
        client.post(f"/api/v1/admin/polls/{poll['id']}/close", headers=headers).status_code == 200
    )
    res = _vote(client, gold, poll, poll["candidates"][0]["id"])
    assert (res.status_code, res.get_json()["error"]["code"]) == (409, "poll_closed")


def test_the_close_names_the_winner_and_tells_each_voter_once(app, client, program):
    poll = admin_post(client, program, "/api/v1/admin/polls", poll_body(results_visibility="live"))
    a, b, _ = (x["id"] for x in poll["candidates"])
    voters = [member_with_device(client, language=lang)[0] for lang in ("fi", "en", "tl")]
    from tests.community.helpers import member_row_id

    with app.app_context():
        from app.extensions import db
        from app.members.models import Member
        from app.tiers.models import Tier

        gold = db.session.query(Tier).filter_by(code="gold").one()
        for handle in voters:
            db.session.get(Member, member_row_id(app, handle.id)).tier_id = gold.id
        db.session.commit()
    for handle, choice in zip(voters, (b, b, a), strict=True):
        assert _vote(client, handle, poll, choice).status_code == 201
    (live,) = client.get("/api/v1/polls", headers=voters[0].headers).get_json()
    assert [c["votes"] for c in live["candidates"]] == [1, 2, 0]

    headers = bearer(program.admin_token)
    res = client.post(f"/api/v1/admin/polls/{poll['id']}/close", headers=headers)
    assert res.status_code == 200
    body = res.get_json()
    assert (body["winner_id"], body["voters"], body["votes"]) == (b, 3, 3)
    again = client.post(f"/api/v1/admin/polls/{poll['id']}/close", headers=headers)
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "poll_closed")
    pushes = push_deliveries(app, "poll_result")
    assert len(pushes) == 3
    assert {p[1] for p in pushes} == {"Äänestys ratkesi!", "The vote is in!", "May resulta na!"}
    assert any("Ruisnäkkäri" in p[2] for p in pushes)
    (closed,) = client.get("/api/v1/polls", headers=voters[0].headers).get_json()
    assert (closed["status"], closed["winner_id"]) == ("closed", b)


def test_the_close_job_closes_what_is_due(app, client, program):
    from app.models_base import utcnow
    from community.polls.service import close_due

    admin_post(client, program, "/api/v1/admin/polls", poll_body())
    with app.app_context():
        assert close_due(utcnow()) == 0
        assert close_due(utcnow() + timedelta(days=8)) == 1
        assert close_due(utcnow() + timedelta(days=8)) == 0


def test_admin_input_is_checked(client, program):
    headers = bearer(program.admin_token)
    one = poll_body(candidates=[{"name": {"en": "Only"}}])
    assert client.post("/api/v1/admin/polls", json=one, headers=headers).status_code == 422
    bad_tier = poll_body(tiers=["diamond"])
    assert client.post("/api/v1/admin/polls", json=bad_tier, headers=headers).status_code == 422
