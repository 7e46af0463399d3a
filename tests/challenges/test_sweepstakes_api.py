"""Sweepstakes over HTTP: entries, the rules against cheating, and a draw anyone can check."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import timedelta

from tests.challenges.games import (
    admin_patch,
    end_now,
    ledger_total,
    make_contest,
    make_quiz,
    now,
    right_answers,
    settle_later,
)
from tests.support import purchase, signup


def _sweepstakes(client, program, **fields):
    return make_contest(
        client,
        program,
        kind="sweepstakes",
        metric=None,
        free_entry=True,
        prizes=[
            {"first_rank": 1, "last_rank": 1, "points": 300},
            {"first_rank": 2, "last_rank": 3, "points": 50},
        ],
        **fields,
    )


def _enter(client, member, contest_id):
    return client.post(f"/api/v1/contests/{contest_id}/entries", headers=member.headers)


_end_now = end_now


def _close(app):
    result = app.test_cli_runner().invoke(args=["games", "close-contests"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])["closed"]


def _recompute(seed_hex: str, entries: list[dict], places: int, one_per_holder: bool):
    """The published algorithm, written here from its description, not from the package."""
    seed = bytes.fromhex(seed_hex)
    lines = sorted((e["entry_id"], e["holder_id"]) for e in entries)
    digest = hashlib.sha256(b"".join(f"{e}\t{h}\n".encode() for e, h in lines)).hexdigest()
    pool, winners, counter = list(lines), [], 0
    while pool and len(winners) < places:
        n = len(pool)
        while True:
            x = int.from_bytes(
                hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha256).digest(), "big"
            )
            counter += 1
            if x < 2**256 - (2**256 % n):
                break
        entry_id, holder = pool.pop(x % n)
        winners.append({"place": len(winners) + 1, "entry_id": entry_id, "holder_id": holder})
        if one_per_holder:
            pool = [p for p in pool if p[1] != holder]
    return digest, winners


def test_free_entry_once_and_entries_by_actions(app, client, program):
    contest = _sweepstakes(client, program, entries_per_purchase=2, entries_per_quiz=1)
    member = signup(client)
    res = _enter(client, member, contest["id"])
    assert res.status_code == 201
    assert res.get_json()["your_entries"] == 1
    second = _enter(client, member, contest["id"])
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "already_entered"

    p = purchase(client, program, member.card_number, "10.00").get_json()
    quiz = make_quiz(client, program)
    attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts", headers=member.headers)
    client.post(
        f"/api/v1/quiz-attempts/{attempt.get_json()['id']}/submit",
        json={"answers": right_answers(quiz)},
        headers=member.headers,
    )
    view = client.get(f"/api/v1/contests/{contest['id']}", headers=member.headers).get_json()
    assert view["your_entries"] == 1 + 2 + 1
    # A fully refunded purchase loses its entries.
    client.post(
        f"/api/v1/transactions/{p['id']}/refunds",
        json={},
        headers={"X-API-Key": program.api_key, "Idempotency-Key": uuid.uuid4().hex},
    )
    view = client.get(f"/api/v1/contests/{contest['id']}", headers=member.headers).get_json()
    assert view["your_entries"] == 2


def test_entries_outside_the_window_or_rules_are_refused(app, client, program):
    member = signup(client)
    upcoming = _sweepstakes(
        client,
        program,
        starts_at=(now() + timedelta(hours=1)).isoformat(),
        ends_at=(now() + timedelta(hours=2)).isoformat(),
    )
    res = _enter(client, member, upcoming["id"])
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "outside_window"

    ended = _sweepstakes(client, program)
    _end_now(app, ended["id"])  # ended, not yet closed
    assert _enter(client, member, ended["id"]).get_json()["error"]["code"] == "outside_window"
    _close(app)
    assert _enter(client, member, ended["id"]).get_json()["error"]["code"] == "outside_window"

    no_free = make_contest(
        client,
        program,
        kind="sweepstakes",
        metric=None,
        entries_per_purchase=1,
        prizes=[{"first_rank": 1, "last_rank": 1, "points": 5}],
    )
    res = _enter(client, member, no_free["id"])
    assert res.get_json()["error"]["code"] == "free_entry_not_offered"

    board = make_contest(client, program)
    assert _enter(client, member, board["id"]).get_json()["error"]["code"] == "not_a_sweepstakes"

    gold_only = _sweepstakes(client, program, tiers=["gold"])
    res = _enter(client, member, gold_only["id"])
    assert res.status_code == 403
    assert res.get_json()["error"]["code"] == "not_eligible"
    assert _enter(client, member, "ctst_nope").status_code == 404
    assert ledger_total(app, "contest") == 0


def test_the_draw_is_committed_revealed_and_recomputable(app, client, program):
    contest = _sweepstakes(client, program, entries_per_purchase=3)
    members = [signup(client, f"m{i}@test.example") for i in range(5)]
    for i, member in enumerate(members):
        assert _enter(client, member, contest["id"]).status_code == 201
        if i % 2:
            purchase(client, program, member.card_number, "10.00")
    published = client.get(f"/api/v1/contests/{contest['id']}", headers=members[0].headers)
    commitment = published.get_json()["commitment"]
    before = client.get(f"/api/v1/contests/{contest['id']}/draw", headers=members[0].headers)
    assert before.status_code == 200
    before = before.get_json()
    assert before["commitment"] == commitment
    assert before["seed"] is None and before["drawn"] is False
    assert before["entry_count"] == 5 + 2 * 3
    # The prizes of a running draw are fixed.
    res = admin_patch(
        client,
        program,
        f"/contests/{contest['id']}",
        {"prizes": [{"first_rank": 1, "last_rank": 1, "points": 1}]},
    )
    assert res.status_code == 409

    _end_now(app, contest["id"])
    assert _close(app) == [contest["id"]]
    # Changed by issue 8 (was: drawn at the close). Entries from purchases that can still be
    # returned: the draw is made once their return window has passed.
    held = client.get(f"/api/v1/contests/{contest['id']}/draw", headers=members[0].headers)
    assert (held.get_json()["status"], held.get_json()["drawn"]) == ("settling", False)
    assert settle_later(app) == [contest["id"]]
    after = client.get(f"/api/v1/contests/{contest['id']}/draw", headers=members[0].headers)
    after = after.get_json()
    assert after["drawn"] is True
    assert after["commitment"] == commitment
    assert hashlib.sha256(bytes.fromhex(after["seed"])).hexdigest() == commitment
    assert len(after["entries"]) == 11
    assert {e["holder_id"] for e in after["entries"]} == {m.id for m in members}
    digest, winners = _recompute(after["seed"], after["entries"], 3, True)
    assert after["entry_digest"] == digest
    assert after["winners"] == winners
    assert len({w["holder_id"] for w in winners}) == 3
    assert after["seed"] in after["how_to_recompute"]
    # The winners, and only they, got the prizes of their places.
    for member in members:
        points = client.get("/api/v1/me/points", headers=member.headers).get_json()["available"]
        place = next((w["place"] for w in winners if w["holder_id"] == member.id), None)
        assert points == {1: 300, 2: 50, 3: 50, None: 0}[place]
    assert ledger_total(app, "contest", contest["id"]) == 400


def test_a_draw_without_entries_pays_nothing(app, client, program):
    contest = _sweepstakes(client, program)
    member = signup(client)
    _end_now(app, contest["id"])
    assert _close(app) == [contest["id"]]
    draw = client.get(f"/api/v1/contests/{contest['id']}/draw", headers=member.headers).get_json()
    assert draw["winners"] == [] and draw["entries"] == []
    assert draw["entry_digest"] == hashlib.sha256(b"").hexdigest()
    assert ledger_total(app, "contest") == 0


def test_a_leaderboard_has_no_draw(client, program):
    board = make_contest(client, program)
    member = signup(client)
    res = client.get(f"/api/v1/contests/{board['id']}/draw", headers=member.headers)
    assert res.status_code == 409
    sweep = _sweepstakes(client, program)
    res = client.get(f"/api/v1/contests/{sweep['id']}/leaderboard", headers=member.headers)
    assert res.status_code == 409
