"""Surveys over HTTP: the admins' surveys and results, the members' answers."""

from __future__ import annotations

import csv
import io

from flask import Response
from flask_smorest import Blueprint
from sqlalchemy import select

from app.auth.guards import admin_required, current_member, member_required
from app.extensions import db
from app.i18n import pick
from app.openapi import errors
from app.program.service import get_program
from app.schemas import Augmented
from app.stores.models import Store
from community.privacy import audit_change
from community.surveys import service, triggers
from community.surveys.models import Survey
from community.surveys.schemas import (
    DetractorSchema,
    MemberSurveySchema,
    ResponseCreateSchema,
    ResponseSchema,
    SurveyAdminSchema,
    SurveyResultsSchema,
)

blp = Blueprint("community_surveys", __name__, url_prefix="/api/v1", description="Surveys")
CSV_TYPE = "text/csv"


@blp.route("/admin/surveys", methods=["GET"])
@admin_required
@blp.response(200, SurveyAdminSchema(many=True))
def admin_list():
    return list(db.session.scalars(select(Survey).order_by(Survey.id.desc()).limit(200)))


@blp.route("/admin/surveys", methods=["POST"])
@admin_required
@blp.arguments(SurveyAdminSchema)
@blp.response(201, SurveyAdminSchema)
def create(data):
    """A survey: localized questions, a window, who may answer, a reward for completing it."""
    survey = service.save_survey(Survey(), data)
    audit_change("survey.create", survey, SurveyAdminSchema, created=True)
    db.session.commit()
    triggers.changed()
    return survey


@blp.route("/admin/surveys/<survey_id>", methods=["GET"])
@admin_required
@errors(404, "survey_not_found")
@blp.response(200, SurveyAdminSchema)
def admin_get(survey_id):
    return service.get_survey(survey_id)


@blp.route("/admin/surveys/<survey_id>", methods=["PATCH"])
@admin_required
@errors(404, "survey_not_found")
@errors(409, "survey_has_responses")
@blp.arguments(SurveyAdminSchema(partial=True))
@blp.response(200, SurveyAdminSchema)
def patch(changes, survey_id):
    """Change a survey; its questions only while no one has answered."""
    survey = service.get_survey(survey_id)
    audit_change("survey.update", survey, SurveyAdminSchema)
    service.save_survey(survey, changes)
    db.session.commit()
    triggers.changed()
    return survey


@blp.route("/admin/surveys/<survey_id>/results", methods=["GET"])
@admin_required
@errors(404, "survey_not_found")
@blp.response(200, SurveyResultsSchema)
def results(survey_id):
    """Per question the distribution (NPS: promoters, passives, detractors), free texts, and
    per store (the purchase that brought the survey) the NPS."""
    return service.results(service.get_survey(survey_id))


@blp.route("/admin/surveys/<survey_id>/results.csv", methods=["GET"])
@admin_required
@errors(404, "survey_not_found")
@blp.response(200, {"type": "string"}, content_type=CSV_TYPE, description="One row per response.")
def results_csv(survey_id):
    """The responses as CSV: a column per question (its id), choices joined with `;`."""
    survey = service.get_survey(survey_id)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in service.csv_rows(survey):
        writer.writerow(row)
    response = Response(out.getvalue(), mimetype=CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{survey.public_id}.csv"'
    return response


@blp.route("/admin/surveys/<survey_id>/detractors", methods=["GET"])
@admin_required
@errors(404, "survey_not_found")
@blp.response(200, DetractorSchema(many=True))
def detractors(survey_id):
    """Detractors (NPS 0-6) who agreed to be contacted, for a follow-up."""
    return service.detractors(service.get_survey(survey_id))


def _localized(survey: Survey, store_public_id: str | None, language: str) -> Augmented:
    default = get_program().default_language
    questions = [
        Augmented(
            q,
            text=pick(q.text, language, default),
            options=[
                {"code": o["code"], "label": pick(o["label"], language, default)}
                for o in q.options or ()
            ],
        )
        for q in survey.questions
    ]
    return Augmented(
        survey,
        title=pick(survey.title, language, default),
        intro=pick(survey.intro, language, default),
        questions=questions,
        store_id=store_public_id,
    )


@blp.route("/surveys", methods=["GET"])
@member_required
@blp.response(200, MemberSurveySchema(many=True))
def mine():
    """The surveys the member can answer now, in the member's language."""
    member = current_member()
    found = service.surveys_for(member)
    stores = dict(
        db.session.execute(
            select(Store.id, Store.public_id).where(
                Store.id.in_([s for _, s in found if s is not None])
            )
        ).all()
    )
    return [_localized(survey, stores.get(store), member.language) for survey, store in found]


@blp.route("/surveys/<survey_id>/responses", methods=["POST"])
@member_required
@errors(403, "survey_not_eligible", "survey_not_invited")
@errors(404, "survey_not_found")
@errors(409, "survey_already_answered", "survey_closed", "survey_not_started")
@errors(422, "invalid_answers")
@blp.arguments(ResponseCreateSchema)
@blp.response(201, ResponseSchema)
def respond(data, survey_id):
    """Answer a survey once; the answers are checked against its questions, and its reward
    (for completing it, whatever the answers) is given once."""
    survey = service.get_survey(survey_id)
    response = service.respond(survey, current_member(), data["answers"], data["contact_consent"])
    return Augmented(response, survey_id=survey.public_id)
