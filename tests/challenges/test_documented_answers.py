"""Every games answer is what /openapi.json says: its status is documented, and its body
validates against the schema documented for that status (errors in the app's one shape, each
operation listing its own stable codes). The members' and the admins' whole play is walked:
definitions, quizzes, challenges, contests through their settle, and badges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openapi_schema_validator import OAS30Validator

from tests.challenges.games import (
    admin_post,
    end_now,
    iso,
    make_challenge,
    make_contest,
    now,
    quiz_body,
    right_answers,
    settle_later,
)
from tests.support import bearer, purchase, signup

ERROR = {"$ref": "#/components/schemas/Error"}
# Every games operation, with its success statuses and some of its own error codes.
OPERATIONS = {
    ("/api/v1/quizzes", "get"): ({"200"}, {}),
    ("/api/v1/quizzes/{quiz_id}/attempts", "post"): (
        {"201"},
        {
            "409": {"quiz_closed", "no_attempts_left", "attempt_in_progress"},
            "403": {"not_eligible"},
        },
    ),
    ("/api/v1/quiz-attempts/{attempt_id}/submit", "post"): (
        {"200"},
        {"409": {"deadline_passed"}, "422": {"unknown_option", "too_many_options"}},
    ),
    ("/api/v1/quiz-attempts/{attempt_id}", "get"): ({"200"}, {"404": {"quiz_attempt_not_found"}}),
    ("/api/v1/challenges", "get"): ({"200"}, {}),
    ("/api/v1/challenges/{challenge_id}/join", "post"): (
        {"200", "201"},
        {"409": {"join_not_needed", "challenge_over"}},
    ),
    ("/api/v1/contests", "get"): ({"200"}, {}),
    ("/api/v1/contests/{contest_id}", "get"): ({"200"}, {"404": {"contest_not_found"}}),
    ("/api/v1/contests/{contest_id}/leaderboard", "get"): (
        {"200"},
        {"409": {"not_a_leaderboard"}},
    ),
    ("/api/v1/contests/{contest_id}/entries", "post"): (
        {"201"},
        {"409": {"outside_window", "free_entry_not_offered", "already_entered"}},
    ),
    ("/api/v1/contests/{contest_id}/draw", "get"): ({"200"}, {"409": {"not_a_sweepstakes"}}),
    ("/api/v1/me/badges", "get"): ({"200"}, {}),
    ("/api/v1/admin/quizzes", "post"): ({"201"}, {"409": {"code_taken"}, "422": {"invalid_quiz"}}),
    ("/api/v1/admin/quizzes", "get"): ({"200"}, {}),
    ("/api/v1/admin/quizzes/{quiz_id}", "get"): ({"200"}, {"404": {"quiz_not_found"}}),
    ("/api/v1/admin/quizzes/{quiz_id}", "patch"): ({"200"}, {"422": {"invalid_quiz"}}),
    ("/api/v1/admin/quizzes/{quiz_id}", "delete"): ({"200"}, {"404": {"quiz_not_found"}}),
    ("/api/v1/admin/challenges", "post"): ({"201"}, {"422": {"invalid_challenge"}}),
    ("/api/v1/admin/challenges", "get"): ({"200"}, {}),
    ("/api/v1/admin/challenges/{challenge_id}", "get"): ({"200"}, {}),
    ("/api/v1/admin/challenges/{challenge_id}", "patch"): ({"200"}, {}),
    ("/api/v1/admin/challenges/{challenge_id}", "delete"): ({"200"}, {}),
    ("/api/v1/admin/contests", "post"): ({"201"}, {"422": {"invalid_prizes"}}),
    ("/api/v1/admin/contests", "get"): ({"200"}, {}),
    ("/api/v1/admin/contests/{contest_id}", "get"): ({"200"}, {}),
    ("/api/v1/admin/contests/{contest_id}", "patch"): (
        {"200"},
        {"409": {"contest_closed", "contest_running"}},
    ),
    ("/api/v1/admin/contests/{contest_id}/close", "post"): (
        {"200"},
        {"409": {"contest_running"}},
    ),
    ("/api/v1/admin/badges", "post"): ({"201"}, {"409": {"code_taken"}}),
    ("/api/v1/admin/badges", "get"): ({"200"}, {}),
    ("/api/v1/admin/badges/{badge_id}", "patch"): ({"200"}, {"404": {"badge_not_found"}}),
}


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").get_json()


class Checked:
    """Calls the app and checks each answer against the document; remembers what it saw."""

    def __init__(self, client, spec: dict) -> None:
        self.client = client
        self.spec = spec
        self.seen: set[tuple[str, str, str]] = set()

    def __call__(self, method: str, path: str, documented: str, **kwargs) -> dict:
        res = getattr(self.client, method)(path, **kwargs)
        responses = self.spec["paths"][documented][method]["responses"]
        status = str(res.status_code)
        assert status in responses, (method, documented, status, res.get_json())
        schema = responses[status]["content"]["application/json"]["schema"]
        body = res.get_json()
        validator = OAS30Validator({**schema, "components": self.spec["components"]})
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert errors == [], (method, documented, status, errors)
        if status[0] == "4":
            assert body["error"]["code"] in responses[status]["x-error-codes"], (documented, body)
        self.seen.add((documented, method, status))
        return body


def test_every_games_operation_documents_its_answers_and_errors(spec):
    games = {
        (path, method)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method != "parameters" and op.get("tags", [None])[0] in ("games", "games_admin")
    }
    assert games == set(OPERATIONS)
    for (path, method), (successes, codes) in OPERATIONS.items():
        responses = spec["paths"][path][method]["responses"]
        assert {s for s in responses if s[0] in "23"} == successes, (path, method)
        for status in successes:
            assert responses[status]["content"]["application/json"]["schema"], (path, status)
        for status, response in responses.items():
            if status[0] in "45":
                assert response["content"]["application/json"]["schema"] == ERROR, (path, status)
        for status, wanted in codes.items():
            assert wanted <= set(responses[status]["x-error-codes"]), (path, status)
        # The operation ids generated clients use stay `<blueprint>_<view>`.
        assert spec["paths"][path][method]["operationId"].startswith("games_")


def test_the_admins_definitions_are_the_documented_answers(client, program, spec):
    call = Checked(client, spec)
    admin = bearer(program.admin_token)

    badge = call(
        "post",
        "/api/v1/admin/badges",
        "/api/v1/admin/badges",
        json={"code": "star", "image_url": "https://img.example/s.png", "name": {"en": "Star"}},
        headers=admin,
    )
    call(
        "post",
        "/api/v1/admin/badges",
        "/api/v1/admin/badges",
        json={"code": "star", "image_url": "https://img.example/s.png", "name": {"en": "Star"}},
        headers=admin,
    )
    call("get", "/api/v1/admin/badges", "/api/v1/admin/badges", headers=admin)
    one_badge = "/api/v1/admin/badges/{badge_id}"
    call("patch", f"/api/v1/admin/badges/{badge['id']}", one_badge, json={}, headers=admin)
    call("patch", "/api/v1/admin/badges/bdg_nope", one_badge, json={}, headers=admin)

    quizzes, one_quiz = "/api/v1/admin/quizzes", "/api/v1/admin/quizzes/{quiz_id}"
    body = quiz_body(reward_kind="pass_mark", pass_mark=1, prize_points=5, prize_badge_code="star")
    quiz = call("post", quizzes, quizzes, json=body, headers=admin)
    assert quiz["prize_badge_code"] == "star"
    call(
        "post",
        quizzes,
        quizzes,
        json=quiz_body(pass_mark=9, reward_kind="pass_mark", prize_points=1),
        headers=admin,
    )
    call("get", quizzes, quizzes, headers=admin)
    call("get", f"{quizzes}/{quiz['id']}", one_quiz, headers=admin)
    call("get", f"{quizzes}/quiz_nope", one_quiz, headers=admin)
    call("patch", f"{quizzes}/{quiz['id']}", one_quiz, json={"attempts_allowed": 3}, headers=admin)
    call("delete", f"{quizzes}/{quiz['id']}", one_quiz, headers=admin)

    challenges, one_challenge = (
        "/api/v1/admin/challenges",
        "/api/v1/admin/challenges/{challenge_id}",
    )
    ch = call(
        "post",
        challenges,
        challenges,
        json={
            "name": {"en": "Streak"},
            "goal_kind": "total_spend",
            "target": 5000,
            "currency": "EUR",
            "min_amount": "5.00",
            "streak_unit": "day",
            "streak_length": 2,
            "window_kind": "monthly",
            "reward_badge_code": "star",
        },
        headers=admin,
    )
    assert (ch["min_amount"], ch["reward_badge_code"]) == ("5.00", "star")
    call("post", challenges, challenges, json={"goal_kind": "nope"}, headers=admin)
    call("get", challenges, challenges, headers=admin)
    call("get", f"{challenges}/{ch['id']}", one_challenge, headers=admin)
    call(
        "patch", f"{challenges}/{ch['id']}", one_challenge, json={"reward_points": 5}, headers=admin
    )
    call("delete", f"{challenges}/{ch['id']}", one_challenge, headers=admin)

    contests, one_contest = "/api/v1/admin/contests", "/api/v1/admin/contests/{contest_id}"
    contest = call(
        "post",
        contests,
        contests,
        json={
            "kind": "leaderboard",
            "metric": "points_earned",
            "name": {"en": "Race"},
            "starts_at": iso(now() - timedelta(hours=1)),
            "ends_at": iso(now() + timedelta(days=1)),
            "prizes": [{"first_rank": 1, "last_rank": 1, "points": 5, "badge_code": "star"}],
        },
        headers=admin,
    )
    bad_prizes = {"first_rank": 2, "last_rank": 1, "points": 5}
    call("post", contests, contests, json={**_leaderboard(), "prizes": [bad_prizes]}, headers=admin)
    call("get", contests, contests, headers=admin)
    call("get", f"{contests}/{contest['id']}", one_contest, headers=admin)
    call("patch", f"{contests}/{contest['id']}", one_contest, json={"min_score": 2}, headers=admin)
    running = call(
        "post", f"{contests}/{contest['id']}/close", f"{one_contest}/close", headers=admin
    )
    assert running["error"]["code"] == "contest_running"


def _leaderboard() -> dict:
    return {
        "kind": "leaderboard",
        "metric": "quiz_score",
        "name": {"en": "Quiz race"},
        "starts_at": iso(now() - timedelta(hours=1)),
        "ends_at": iso(now() + timedelta(days=1)),
        "prizes": [{"first_rank": 1, "last_rank": 1, "points": 5}],
    }


def test_a_members_play_is_the_documented_answers(app, client, program, spec):
    call = Checked(client, spec)
    admin = bearer(program.admin_token)
    admin_post(
        client,
        program,
        "/badges",
        {"code": "star", "image_url": "https://img.example/s.png", "name": {"en": "Star"}},
    )
    quiz = admin_post(
        client,
        program,
        "/quizzes",
        quiz_body(reward_kind="pass_mark", pass_mark=1, prize_points=5, prize_badge_code="star"),
    ).get_json()
    make_challenge(client, program, target=1, reward_badge_code="star")
    opt_in = make_challenge(client, program, opt_in=True, window_kind="monthly")
    everyone = make_challenge(client, program, window_kind="monthly")
    board = make_contest(client, program)
    sweep = make_contest(
        client,
        program,
        kind="sweepstakes",
        metric=None,
        free_entry=True,
        entries_per_purchase=1,
        prizes=[{"first_rank": 1, "last_rank": 1, "points": 50, "badge_code": "star"}],
    )
    ann = signup(client, "ann@test.example", name="Ann Example")
    bob = signup(client, "bob@test.example", name="Bob", language="en")
    for member in (ann, bob):
        assert purchase(client, program, member.card_number, "30.00").status_code == 201
    me = ann.headers

    call("get", "/api/v1/quizzes", "/api/v1/quizzes", headers=me)
    attempts = "/api/v1/quizzes/{quiz_id}/attempts"
    attempt = call("post", f"/api/v1/quizzes/{quiz['id']}/attempts", attempts, headers=me)
    call("post", f"/api/v1/quizzes/{quiz['id']}/attempts", attempts, headers=me)
    call("post", "/api/v1/quizzes/quiz_nope/attempts", attempts, headers=me)
    one_attempt = "/api/v1/quiz-attempts/{attempt_id}"
    call("get", f"/api/v1/quiz-attempts/{attempt['id']}", one_attempt, headers=me)
    submit = f"/api/v1/quiz-attempts/{attempt['id']}/submit"
    unknown = {"answers": {quiz["questions"][0]["id"]: ["qo_nope"]}}
    call("post", submit, one_attempt + "/submit", json=unknown, headers=me)
    answers = {"answers": right_answers(quiz)}
    done = call("post", submit, one_attempt + "/submit", json=answers, headers=me)
    assert (done["replayed"], done["result"]["passed"]) == (False, True)
    again = call("post", submit, one_attempt + "/submit", json=answers, headers=me)
    assert again["replayed"] is True
    call("get", f"/api/v1/quiz-attempts/{attempt['id']}", one_attempt, headers=me)

    call("get", "/api/v1/challenges", "/api/v1/challenges", headers=me)
    join = "/api/v1/challenges/{challenge_id}/join"
    call("post", f"/api/v1/challenges/{opt_in['id']}/join", join, headers=me)
    call("post", f"/api/v1/challenges/{opt_in['id']}/join", join, headers=me)
    call("post", f"/api/v1/challenges/{everyone['id']}/join", join, headers=me)
    assert purchase(client, program, ann.card_number, "30.00").status_code == 201
    listed = call("get", "/api/v1/challenges", "/api/v1/challenges", headers=me)
    assert {c["reward"]["status"] for c in listed} >= {"pending"}

    call("get", "/api/v1/contests", "/api/v1/contests", headers=me)
    one = "/api/v1/contests/{contest_id}"
    for contest in (board, sweep):
        call("get", f"/api/v1/contests/{contest['id']}", one, headers=me)
    call("get", "/api/v1/contests/ctst_nope", one, headers=me)
    call(
        "get",
        f"/api/v1/contests/{board['id']}/leaderboard?limit=5",
        one + "/leaderboard",
        headers=me,
    )
    call("get", f"/api/v1/contests/{sweep['id']}/leaderboard", one + "/leaderboard", headers=me)
    for member in (ann, ann, bob):
        path = f"/api/v1/contests/{sweep['id']}/entries"
        call("post", path, one + "/entries", headers=member.headers)
    call("post", f"/api/v1/contests/{board['id']}/entries", one + "/entries", headers=me)
    before = call("get", f"/api/v1/contests/{sweep['id']}/draw", one + "/draw", headers=me)
    assert (before["drawn"], before["seed"]) == (False, None)
    call("get", f"/api/v1/contests/{board['id']}/draw", one + "/draw", headers=me)

    close = "/api/v1/admin/contests/{contest_id}/close"
    for contest in (sweep, board):
        end_now(app, contest["id"])
        closed = call("post", f"/api/v1/admin/contests/{contest['id']}/close", close, headers=admin)
        assert closed["closed_by_this_call"] is True
    settle_later(app)
    paid = call(
        "get",
        f"/api/v1/admin/contests/{board['id']}",
        "/api/v1/admin/contests/{contest_id}",
        headers=admin,
    )
    assert paid["status"] == "closed" and paid["awarded"]
    after = call("get", f"/api/v1/contests/{sweep['id']}/draw", one + "/draw", headers=me)
    assert after["drawn"] is True and len(after["entries"]) == after["entry_count"]
    call("get", f"/api/v1/contests/{board['id']}", one, headers=me)
    call("post", f"/api/v1/contests/{sweep['id']}/entries", one + "/entries", headers=me)
    for member in (ann, bob):
        call("get", "/api/v1/me/badges", "/api/v1/me/badges", headers=member.headers)
    # As someone who is no member: the guard's answer is documented too.
    call("get", "/api/v1/me/badges", "/api/v1/me/badges", headers=admin)
    call("get", "/api/v1/quizzes", "/api/v1/quizzes")
    assert ("/api/v1/contests/{contest_id}/draw", "get", "409") in call.seen
    assert ("/api/v1/challenges/{challenge_id}/join", "post", "200") in call.seen
    assert ("/api/v1/quiz-attempts/{attempt_id}/submit", "post", "422") in call.seen
