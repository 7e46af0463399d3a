"""What goes in and out over HTTP for surveys."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from app.schemas import PublicId, StrictSchema, localized_texts
from app.stores.models import Store
from community.answers import KINDS, TEXT_MAX
from community.schemas import CODE, EligibilitySchema, WindowSchema
from community.surveys.models import TRIGGERS

CHOICE_KINDS = ("single", "multiple")


class SurveyOptionSchema(StrictSchema):
    code = fields.Str(required=True, validate=CODE)
    label = localized_texts(max_length=200)


class QuestionAdminSchema(StrictSchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={"description": "nps 0-10, rating 1-5, single or multiple choice, text."},
    )
    text = localized_texts(max_length=500)
    options = fields.List(fields.Nested(SurveyOptionSchema), validate=validate.Length(max=30))
    required = fields.Bool(load_default=True)

    @validates_schema
    def _options(self, data: dict, **_kwargs) -> None:
        options = data.get("options") or []
        if data.get("kind") in CHOICE_KINDS:
            codes = [o["code"] for o in options]
            if len(codes) < 2 or len(set(codes)) != len(codes):
                raise ValidationError(
                    "A choice takes at least two options, each code once.", "options"
                )
        elif options:
            raise ValidationError(
                "Only single and multiple choice questions have options.", "options"
            )


class SurveyAdminSchema(WindowSchema, EligibilitySchema):
    id = fields.Str(attribute="public_id", dump_only=True)
    title = localized_texts(max_length=120)
    intro = localized_texts(required=False, max_length=1000)
    reward_points = fields.Int(
        strict=True,
        validate=validate.Range(min=0, max=100_000),
        metadata={"description": "Points for completing it, once per member; 0: none."},
    )
    trigger = fields.Str(
        validate=validate.OneOf(TRIGGERS),
        metadata={"description": "`purchase`: offered, with a push, after a purchase."},
    )
    trigger_store_ids = fields.List(
        fields.Str(validate=validate.Length(min=1, max=32)),
        validate=validate.Length(max=200),
        metadata={"description": "Purchases at these stores bring it; empty: any store."},
    )
    questions = fields.List(
        fields.Nested(QuestionAdminSchema), required=True, validate=validate.Length(min=1, max=50)
    )
    active = fields.Bool()


class MemberSurveyOptionSchema(StrictSchema):
    code = fields.Str(required=True)
    label = fields.Str(required=True)


class MemberQuestionSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    kind = fields.Str(required=True)
    text = fields.Str(required=True)
    required = fields.Bool(required=True)
    options = fields.List(fields.Nested(MemberSurveyOptionSchema), required=True)


class MemberSurveySchema(StrictSchema):
    """A survey the member can answer, in the member's language."""

    id = fields.Str(attribute="public_id", required=True)
    title = fields.Str(required=True)
    intro = fields.Str(required=True)
    ends_at = fields.DateTime(required=True)
    reward_points = fields.Int(required=True)
    store_id = fields.Str(
        allow_none=True, metadata={"description": "The store of the visit it asks about."}
    )
    questions = fields.List(fields.Nested(MemberQuestionSchema), required=True)


class AnswerInSchema(StrictSchema):
    question_id = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    score = fields.Int(strict=True, allow_none=True, metadata={"description": "nps, rating."})
    choice = fields.Str(
        allow_none=True, validate=validate.Length(max=40), metadata={"description": "single."}
    )
    choices = fields.List(
        fields.Str(validate=validate.Length(max=40)),
        allow_none=True,
        validate=validate.Length(max=30),
        metadata={"description": "multiple."},
    )
    text = fields.Str(
        allow_none=True, validate=validate.Length(max=TEXT_MAX), metadata={"description": "text."}
    )


class ResponseCreateSchema(StrictSchema):
    answers = fields.List(
        fields.Nested(AnswerInSchema), required=True, validate=validate.Length(max=50)
    )
    contact_consent = fields.Bool(
        load_default=False,
        metadata={"description": "The member agrees to be contacted about these answers."},
    )


class ResponseSchema(StrictSchema):
    id = fields.Str(attribute="public_id", required=True)
    survey_id = fields.Str(required=True)
    store_id = PublicId(Store, allow_none=True, required=True)
    points_awarded = fields.Int(required=True)
    created_at = fields.DateTime(required=True)


class NpsSchema(StrictSchema):
    responses = fields.Int(required=True)
    promoters = fields.Int(required=True)
    passives = fields.Int(required=True)
    detractors = fields.Int(required=True)
    score = fields.Int(allow_none=True, required=True, metadata={"description": "-100 to 100."})


class ScoreCountSchema(StrictSchema):
    score = fields.Int(required=True)
    count = fields.Int(required=True)


class ChoiceCountSchema(StrictSchema):
    code = fields.Str(required=True)
    count = fields.Int(required=True)


class TextAnswerSchema(StrictSchema):
    text = fields.Str(required=True)
    store_id = fields.Str(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class QuestionResultSchema(StrictSchema):
    id = fields.Str(required=True)
    kind = fields.Str(required=True)
    text = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)
    answered = fields.Int(required=True)
    scores = fields.List(fields.Nested(ScoreCountSchema), required=True)
    choices = fields.List(fields.Nested(ChoiceCountSchema), required=True)
    average = fields.Float(allow_none=True, required=True)
    nps = fields.Nested(NpsSchema, allow_none=True, required=True)
    texts = fields.List(
        fields.Nested(TextAnswerSchema), required=True, metadata={"description": "Newest first."}
    )


class StoreResultSchema(StrictSchema):
    store_id = fields.Str(required=True)
    store_name = fields.Str(required=True)
    responses = fields.Int(required=True)
    nps = fields.Nested(
        NpsSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Of the first NPS question."},
    )


class SurveyResultsSchema(StrictSchema):
    survey_id = fields.Str(required=True)
    responses = fields.Int(required=True)
    questions = fields.List(fields.Nested(QuestionResultSchema), required=True)
    stores = fields.List(fields.Nested(StoreResultSchema), required=True)


class DetractorSchema(StrictSchema):
    """A detractor who agreed to be contacted: who, how they scored, what they wrote."""

    member_id = fields.Str(required=True)
    name = fields.Str(required=True)
    email = fields.Str(required=True)
    language = fields.Str(required=True)
    score = fields.Int(required=True)
    store_id = fields.Str(allow_none=True, required=True)
    answered_at = fields.DateTime(required=True)
    comments = fields.List(fields.Str(), required=True)
