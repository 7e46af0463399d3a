"""Games (the challenges package): quizzes with their questions, challenges, contests with
their leaderboard, and a sweepstakes' draw checked again from what it published."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.members.models import Member
from challenges.contests import boards
from challenges.contests import service as contests
from challenges.missions import service as missions
from challenges.quizzes import service as quizzes
from challenges.rules import draw
from console.pages import page
from console.web import requires

bp = Blueprint("games", __name__, url_prefix="/games")
requires(bp, "admin")
NAV = ((_l("Games"), "index", "admin"),)
TOP = 20


@bp.route("/")
def index():
    return page(
        "console/games/index.html",
        quizzes=quizzes.latest(100),
        challenges=missions.latest(100),
        contests=contests.latest(100),
        title=_l("Games"),
    )


@bp.route("/quizzes/<quiz_id>")
def quiz(quiz_id: str):
    found = quizzes.with_questions(quizzes.quiz_by_id(quiz_id))
    return page("console/games/quiz.html", quiz=found, title=_l("Quiz"))


@bp.route("/contests/<contest_id>")
def contest(contest_id: str):
    found = contests.with_awards(contests.contest_by_id(contest_id))
    context: dict = {"contest": found, "title": _l("Contest")}
    if found.kind == "leaderboard":
        standings, backend = boards.top(found, TOP)
        names = dict(
            db.session.execute(
                select(Member.id, Member.name).where(
                    Member.id.in_([s.member_id for s in standings])
                )
            ).all()
        )
        context.update(
            standings=[(s, names.get(s.member_id, "")) for s in standings],
            backend=backend,
            participants=boards.participants(found),
        )
    else:
        state = contests.draw_state(found, None)
        context.update(state=state, verification=verify(found.draw, state.entries))
    return page("console/games/contest.html", **context)


def verify(made: dict | None, entries: list[dict[str, str]]) -> dict | None:
    """The draw done again from what it published (the seed, the entries): the seed matches
    the commitment published at the opening, and the same winners come out."""
    if not made:
        return None
    seed = bytes.fromhex(made["seed"])
    again = draw.draw_winners(
        seed,
        [draw.Entry(e["entry_id"], e["holder_id"]) for e in entries],
        made["places"],
        one_prize_per_holder=made["one_prize_per_holder"],
    )
    published = [(w["place"], w["entry_id"]) for w in made["winners"]]
    return {
        "commitment": draw.verify_commitment(seed, made["commitment"]),
        "entries": again.entry_digest == made["entry_digest"],
        "winners": [(w.place, w.entry_id) for w in again.winners] == published,
    }
