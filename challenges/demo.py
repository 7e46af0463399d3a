"""Demo games for `make run`: a live quiz in all four languages, a running challenge, a
leaderboard contest and a sweepstakes, so a newcomer can play at once.

`seed_demo()` needs an app context with the games package loaded; it is idempotent (each game
has a fixed code and is created only when missing) and commits.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models_base import utcnow
from challenges.badges.models import Badge
from challenges.contests import service as contests
from challenges.contests.models import Contest
from challenges.missions.models import Challenge
from challenges.quizzes import service as quizzes
from challenges.quizzes.models import Quiz

BADGES = {
    "quiz-whiz": (
        {"en": "Quiz whiz", "fi": "Visavelho", "pl": "Mistrz quizu", "tl": "Henyo sa pagsusulit"},
        {"en": "Passed a quiz", "fi": "Läpäisi tietovisan", "pl": "Zdał quiz", "tl": "Pumasa"},
    ),
    "regular": (
        {"en": "Regular", "fi": "Kanta-asiakas", "pl": "Stały bywalec", "tl": "Suki"},
        {
            "en": "Three purchases in a week",
            "fi": "Kolme ostosta viikossa",
            "pl": "Trzy zakupy w tygodniu",
            "tl": "Tatlong pagbili sa isang linggo",
        },
    ),
    "champion": (
        {"en": "Champion", "fi": "Mestari", "pl": "Mistrz", "tl": "Kampeon"},
        {"en": "Won a contest", "fi": "Voitti kilpailun", "pl": "Wygrał konkurs", "tl": "Nanalo"},
    ),
}

QUESTIONS = [
    (
        "single",
        {
            "en": "How many points do you earn per euro?",
            "fi": "Montako pistettä saat eurolta?",
            "pl": "Ile punktów dostajesz za euro?",
            "tl": "Ilang puntos ang makukuha mo bawat euro?",
        },
        [
            ({"en": "One", "fi": "Yhden", "pl": "Jeden", "tl": "Isa"}, True),
            ({"en": "Ten", "fi": "Kymmenen", "pl": "Dziesięć", "tl": "Sampu"}, False),
            ({"en": "None", "fi": "Ei yhtään", "pl": "Żadnego", "tl": "Wala"}, False),
        ],
    ),
    (
        "multiple",
        {
            "en": "Which are tiers of the program?",
            "fi": "Mitkä ovat ohjelman tasoja?",
            "pl": "Które są poziomami programu?",
            "tl": "Alin ang mga antas ng programa?",
        },
        [
            ({"en": "Silver", "fi": "Hopea", "pl": "Srebrny", "tl": "Pilak"}, True),
            ({"en": "Gold", "fi": "Kulta", "pl": "Złoty", "tl": "Ginto"}, True),
            ({"en": "Wood", "fi": "Puu", "pl": "Drewniany", "tl": "Kahoy"}, False),
        ],
    ),
    (
        "single",
        {
            "en": "How long are points valid?",
            "fi": "Kuinka kauan pisteet ovat voimassa?",
            "pl": "Jak długo ważne są punkty?",
            "tl": "Gaano katagal may bisa ang puntos?",
        },
        [
            (
                {"en": "12 months", "fi": "12 kuukautta", "pl": "12 miesięcy", "tl": "12 buwan"},
                True,
            ),
            ({"en": "1 week", "fi": "1 viikko", "pl": "1 tydzień", "tl": "1 linggo"}, False),
        ],
    ),
]


def _text(en: str, fi: str, pl: str, tl: str) -> dict[str, str]:
    return {"en": en, "fi": fi, "pl": pl, "tl": tl}


def seed_demo() -> dict[str, str]:
    """Create whatever demo game is missing; returns {code: public id} of all of them."""
    now = utcnow()
    for code, (name, description) in BADGES.items():
        if db.session.scalar(select(Badge.id).where(Badge.code == code)) is None:
            db.session.add(
                Badge(
                    code=code,
                    image_url=f"https://example.com/badges/{code}.png",
                    name=name,
                    description=description,
                )
            )
    db.session.flush()
    out: dict[str, str] = {}

    quiz = db.session.scalar(select(Quiz).where(Quiz.code == "demo-quiz"))
    if quiz is None:
        quiz = quizzes.create(
            {
                "code": "demo-quiz",
                "title": _text(
                    "Know your rewards", "Tunne etusi", "Poznaj nagrody", "Kilalanin ang gantimpala"
                ),
                "description": _text(
                    "Three questions, two minutes.",
                    "Kolme kysymystä, kaksi minuuttia.",
                    "Trzy pytania, dwie minuty.",
                    "Tatlong tanong, dalawang minuto.",
                ),
                "starts_at": now - timedelta(hours=1),
                "ends_at": now + timedelta(days=30),
                "time_limit_seconds": 120,
                "attempts_allowed": 3,
                "reward_kind": "pass_mark",
                "pass_mark": 2,
                "prize_points": 50,
                "prize_badge_code": "quiz-whiz",
                "show_answers_after_submit": True,
                "questions": [
                    {
                        "kind": kind,
                        "text": text,
                        "options": [{"text": t, "is_correct": ok} for t, ok in options],
                    }
                    for kind, text, options in QUESTIONS
                ],
            }
        )
    out["demo-quiz"] = quiz.public_id

    challenge = db.session.scalar(select(Challenge).where(Challenge.code == "demo-challenge"))
    if challenge is None:
        regular = db.session.scalar(select(Badge).where(Badge.code == "regular"))
        challenge = Challenge(
            code="demo-challenge",
            name=_text(
                "Three visits this week",
                "Kolme käyntiä tällä viikolla",
                "Trzy wizyty w tym tygodniu",
                "Tatlong bisita ngayong linggo",
            ),
            description=_text(
                "Shop three times this week for 100 bonus points.",
                "Osta kolmesti tällä viikolla ja saat 100 bonuspistettä.",
                "Zrób zakupy trzy razy w tym tygodniu i zdobądź 100 punktów.",
                "Mamili nang tatlong beses ngayong linggo para sa 100 puntos.",
            ),
            goal_kind="purchase_count",
            target=3,
            window_kind="weekly",
            reward_points=100,
            reward_badge_id=regular.id if regular else None,
            tiers=[],
            member_ids=[],
        )
        db.session.add(challenge)
        db.session.flush()
    out["demo-challenge"] = challenge.public_id

    prizes_board = [
        {"first_rank": 1, "last_rank": 1, "points": 1000, "badge_code": "champion"},
        {"first_rank": 2, "last_rank": 3, "points": 500},
        {"first_rank": 4, "last_rank": 10, "points": 100},
    ]
    for code, data in (
        (
            "demo-leaderboard",
            {
                "kind": "leaderboard",
                "metric": "points_earned",
                "name": _text("Points race", "Pistekisa", "Wyścig punktów", "Karera ng puntos"),
                "starts_at": now - timedelta(hours=1),
                "ends_at": now + timedelta(days=30),
                "prizes": prizes_board,
            },
        ),
        (
            "demo-sweepstakes",
            {
                "kind": "sweepstakes",
                "name": _text(
                    "Win a weekend", "Voita viikonloppu", "Wygraj weekend", "Manalo ng weekend"
                ),
                "starts_at": now - timedelta(hours=1),
                "ends_at": now + timedelta(days=14),
                "free_entry": True,
                "entries_per_purchase": 1,
                "prizes": [
                    {"first_rank": 1, "last_rank": 1, "points": 2000, "badge_code": "champion"},
                    {"first_rank": 2, "last_rank": 3, "points": 250},
                ],
            },
        ),
    ):
        contest = db.session.scalar(select(Contest).where(Contest.code == code))
        if contest is None:
            contest = contests.create(
                {"code": code, "tiers": [], "member_ids": [], "description": {}} | data
            )
        out[code] = contest.public_id
    db.session.commit()
    return out
