"""Surveys: building them, who may answer what, responses with their reward, the results."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.errors import ApiError
from app.extensions import db
from app.i18n import pick
from app.ledger import service as ledger
from app.lookup import by_public_id
from app.members.models import Member
from app.members.service import ensure_active
from app.models_base import utcnow
from app.stores.models import Store
from community import answers as answer_rules
from community import windows
from community.eligibility import check_refs, is_eligible
from community.nps import DETRACTOR_MAX, nps
from community.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)

REFERENCE_TYPE = "survey_response"
TEXTS_LISTED = 500


def reward_key(survey: Survey, member: Member) -> str:
    """The ledger's idempotency key of a survey's reward: one per member and survey."""
    return f"community.survey:{survey.public_id}:{member.public_id}"


def get_survey(public_id: str) -> Survey:
    return by_public_id(Survey, public_id, "survey")


def _store_ids(public_ids: list[str]) -> list[str]:
    found = set(db.session.scalars(select(Store.public_id).where(Store.public_id.in_(public_ids))))
    missing = [s for s in public_ids if s not in found]
    if missing:
        raise ApiError(
            422,
            "validation_error",
            "Unknown stores.",
            {"fields": {"trigger_store_ids": [f"unknown id {missing[0]}"]}},
        )
    return list(dict.fromkeys(public_ids))


def _has_responses(survey: Survey) -> bool:
    return (
        db.session.scalar(
            select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id).limit(1)
        )
        is not None
    )


def save_survey(survey: Survey, data: dict) -> Survey:
    """Create or change a survey (not committed). Its questions are replaced only while no one
    has answered: results must stay the answers to the questions asked."""
    check_refs(data)
    if "trigger_store_ids" in data:
        data["trigger_store_ids"] = _store_ids(data["trigger_store_ids"])
    questions = data.pop("questions", None)
    if questions is not None and survey.id is not None and _has_responses(survey):
        raise ApiError(
            409, "survey_has_responses", "Members have answered: the questions stay as they are."
        )
    for key, value in data.items():
        setattr(survey, key, value)
    if survey.ends_at <= survey.starts_at:
        raise ApiError(
            422,
            "validation_error",
            "The survey must end after it starts.",
            {"fields": {"ends_at": ["must be after starts_at"]}},
        )
    if questions is not None:
        survey.questions = [
            SurveyQuestion(position=i, **question) for i, question in enumerate(questions)
        ]
    db.session.add(survey)
    db.session.flush()
    return survey


def _invitation(survey: Survey, member: Member) -> SurveyInvitation | None:
    return db.session.scalar(
        select(SurveyInvitation).where(
            SurveyInvitation.survey_id == survey.id, SurveyInvitation.member_id == member.id
        )
    )


def surveys_for(member: Member, now: datetime | None = None) -> list[tuple[Survey, int | None]]:
    """What the member can answer now, with the store of the visit it asks about."""
    now = now or utcnow()
    answered = select(SurveyResponse.survey_id).where(SurveyResponse.member_id == member.id)
    invited = dict(
        db.session.execute(
            select(SurveyInvitation.survey_id, SurveyInvitation.store_id).where(
                SurveyInvitation.member_id == member.id
            )
        ).all()
    )
    rows = db.session.scalars(
        select(Survey)
        .where(
            Survey.active,
            Survey.starts_at <= now,
            Survey.ends_at > now,
            Survey.id.not_in(answered),
        )
        .order_by(Survey.ends_at, Survey.id)
    )
    found = []
    for survey in rows:
        if survey.trigger == "purchase" and survey.id not in invited:
            continue
        if is_eligible(survey, member):
            found.append((survey, invited.get(survey.id)))
    return found


def _questions(survey: Survey) -> list[answer_rules.Question]:
    return [
        answer_rules.Question(
            q.public_id, q.kind, q.required, tuple(o["code"] for o in q.options or ())
        )
        for q in survey.questions
    ]


def respond(
    survey: Survey, member: Member, given: list[dict], contact_consent: bool
) -> SurveyResponse:
    """Record the member's one response and its reward; committed. The member's row lock
    makes concurrent responses take turns: the second finds the first and is a 409."""
    ensure_active(member)
    ledger.lock_member(member.id)
    now = utcnow()
    state = windows.window_state(survey.starts_at, survey.ends_at, now)
    if not survey.active or state != windows.OPEN:
        code = (
            "survey_not_started"
            if survey.active and state == windows.NOT_STARTED
            else "survey_closed"
        )
        raise ApiError(
            409,
            code,
            "This survey is not open for answers.",
            {"starts_at": survey.starts_at.isoformat(), "ends_at": survey.ends_at.isoformat()},
        )
    invitation = _invitation(survey, member)
    if survey.trigger == "purchase" and invitation is None:
        raise ApiError(403, "survey_not_invited", "This survey follows a visit to the store.")
    if not is_eligible(survey, member):
        raise ApiError(403, "survey_not_eligible", "This survey is for other members.")
    existing = db.session.scalar(
        select(SurveyResponse.public_id).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.member_id == member.id
        )
    )
    if existing is not None:
        raise ApiError(
            409,
            "survey_already_answered",
            "You have answered this survey.",
            {"response_id": existing},
        )
    try:
        checked = answer_rules.check_answers(_questions(survey), given)
    except answer_rules.AnswerProblems as problems:
        raise ApiError(
            422,
            "invalid_answers",
            "Some answers do not fit their questions.",
            {"questions": problems.problems},
        ) from None
    response = SurveyResponse(
        survey_id=survey.id,
        member_id=member.id,
        store_id=invitation.store_id if invitation else None,
        contact_consent=contact_consent,
        points_awarded=survey.reward_points,
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "survey_already_answered", "You have answered this survey.") from None
    ids = {q.public_id: q.id for q in survey.questions}
    for answer in checked:
        qid = ids[answer.question_id]
        if answer.choices:
            db.session.add_all(
                SurveyAnswer(response_id=response.id, question_id=qid, choice=c)
                for c in answer.choices
            )
        else:
            db.session.add(
                SurveyAnswer(
                    response_id=response.id, question_id=qid, number=answer.score, text=answer.text
                )
            )
    if survey.reward_points:
        ledger.award_points(
            member.id,
            survey.reward_points,
            idempotency_key=reward_key(survey, member),
            reason=f"Survey: {pick(survey.title, 'en')}"[:200],
            reference_type=REFERENCE_TYPE,
            reference_id=response.public_id,
        )
    db.session.commit()
    return response


# -- results -----------------------------------------------------------------------------------


def _store_names() -> dict[int, tuple[str, str]]:
    return {
        row.id: (row.public_id, row.name)
        for row in db.session.execute(select(Store.id, Store.public_id, Store.name))
    }


def results(survey: Survey) -> dict:
    """Per question the distribution (and NPS, average), the texts; per store the NPS of the
    first NPS question. Counted in the database, one GROUP BY per kind of figure."""
    total = db.session.scalar(
        select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id)
    )
    counts: dict[int, dict] = defaultdict(dict)
    for qid, number, choice, count in db.session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.number, SurveyAnswer.choice, func.count())
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.text.is_(None))
        .group_by(SurveyAnswer.question_id, SurveyAnswer.number, SurveyAnswer.choice)
    ):
        counts[qid][number if choice is None else choice] = count
    answered = dict(
        db.session.execute(
            select(SurveyAnswer.question_id, func.count(func.distinct(SurveyAnswer.response_id)))
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyResponse.survey_id == survey.id)
            .group_by(SurveyAnswer.question_id)
        ).all()
    )
    stores = _store_names()
    texts: dict[int, list[dict]] = defaultdict(list)
    text_questions = [q.id for q in survey.questions if q.kind == "text"]
    if text_questions:
        for qid, text, store_id, at in db.session.execute(
            select(
                SurveyAnswer.question_id,
                SurveyAnswer.text,
                SurveyResponse.store_id,
                SurveyResponse.created_at,
            )
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyAnswer.question_id.in_(text_questions), SurveyAnswer.text.is_not(None))
            .order_by(SurveyResponse.id.desc())
            .limit(TEXTS_LISTED)
        ):
            texts[qid].append(
                {
                    "text": text,
                    "store_id": stores[store_id][0] if store_id else None,
                    "created_at": at,
                }
            )
    questions = []
    for q in survey.questions:
        dist = counts.get(q.id, {})
        scores = sorted((k, v) for k, v in dist.items() if isinstance(k, int))
        n = sum(v for _, v in scores)
        questions.append(
            {
                "id": q.public_id,
                "kind": q.kind,
                "text": q.text,
                "answered": answered.get(q.id, 0),
                "scores": [{"score": k, "count": v} for k, v in scores],
                "choices": [
                    {"code": o["code"], "count": dist.get(o["code"], 0)} for o in q.options or ()
                ],
                "average": round(sum(k * v for k, v in scores) / n, 2) if n else None,
                "nps": nps(dict(scores)) if q.kind == "nps" else None,
                "texts": texts.get(q.id, []),
            }
        )
    return {
        "survey_id": survey.public_id,
        "responses": total,
        "questions": questions,
        "stores": _per_store(survey, stores),
    }


def _first_nps(survey: Survey) -> SurveyQuestion | None:
    return next((q for q in survey.questions if q.kind == "nps"), None)


def _per_store(survey: Survey, stores: dict[int, tuple[str, str]]) -> list[dict]:
    responses = dict(
        db.session.execute(
            select(SurveyResponse.store_id, func.count())
            .where(SurveyResponse.survey_id == survey.id, SurveyResponse.store_id.is_not(None))
            .group_by(SurveyResponse.store_id)
        ).all()
    )
    by_store: dict[int, dict[int, int]] = defaultdict(dict)
    question = _first_nps(survey)
    if question is not None:
        for store_id, number, count in db.session.execute(
            select(SurveyResponse.store_id, SurveyAnswer.number, func.count())
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyAnswer.question_id == question.id, SurveyResponse.store_id.is_not(None))
            .group_by(SurveyResponse.store_id, SurveyAnswer.number)
        ):
            by_store[store_id][number] = count
    return [
        {
            "store_id": stores[store_id][0],
            "store_name": stores[store_id][1],
            "responses": count,
            "nps": nps(by_store[store_id]) if question is not None else None,
        }
        for store_id, count in sorted(responses.items(), key=lambda kv: stores[kv[0]][1])
    ]


def csv_rows(survey: Survey) -> Iterator[list[str]]:
    """One row per response, a column per question; no member ids: the answers as the
    program sees them in aggregate (the detractors list is the way to reach people)."""
    questions = list(survey.questions)
    yield ["response_id", "answered_at", "store"] + [q.public_id for q in questions]
    stores = _store_names()
    position = {q.id: i for i, q in enumerate(questions)}
    rows = db.session.execute(
        select(SurveyResponse, SurveyAnswer)
        .outerjoin(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.id, SurveyAnswer.id)
        .execution_options(yield_per=500)
    )
    current: SurveyResponse | None = None
    cells: list[list[str]] = []

    def row() -> list[str]:
        store = stores[current.store_id][1] if current.store_id else ""
        return [current.public_id, current.created_at.isoformat(), store] + [
            ";".join(c) for c in cells
        ]

    for response, answer in rows:
        if current is None or response.id != current.id:
            if current is not None:
                yield row()
            current, cells = response, [[] for _ in questions]
        if answer is not None:
            value = (
                answer.choice
                or answer.text
                or ("" if answer.number is None else str(answer.number))
            )
            cells[position[answer.question_id]].append(value)
    if current is not None:
        yield row()


def detractors(survey: Survey) -> list[dict]:
    """Who scored 0-6 on an NPS question and agreed to be contacted, with what they wrote."""
    nps_ids = [q.id for q in survey.questions if q.kind == "nps"]
    if not nps_ids:
        return []
    stores = _store_names()
    rows = db.session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.store_id,
            SurveyResponse.created_at,
            func.min(SurveyAnswer.number),
            Member.public_id,
            Member.name,
            Member.language,
            User.email,
        )
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .join(Member, Member.id == SurveyResponse.member_id)
        .join(User, User.id == Member.user_id)
        .where(
            SurveyResponse.survey_id == survey.id,
            SurveyResponse.contact_consent,
            SurveyAnswer.question_id.in_(nps_ids),
            SurveyAnswer.number <= DETRACTOR_MAX,
            Member.ended_at.is_(None),
        )
        .group_by(
            SurveyResponse.id,
            SurveyResponse.store_id,
            SurveyResponse.created_at,
            Member.public_id,
            Member.name,
            Member.language,
            User.email,
        )
        .order_by(SurveyResponse.id)
    ).all()
    comments: dict[int, list[str]] = defaultdict(list)
    for response_id, text in db.session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.text).where(
            SurveyAnswer.response_id.in_([r[0] for r in rows]), SurveyAnswer.text.is_not(None)
        )
    ):
        comments[response_id].append(text)
    return [
        {
            "member_id": member_id,
            "name": name,
            "email": email,
            "language": language,
            "score": score,
            "store_id": stores[store_id][0] if store_id else None,
            "answered_at": answered_at,
            "comments": comments.get(response_id, []),
        }
        for response_id, store_id, answered_at, score, member_id, name, language, email in rows
    ]
