"""Surveys, their questions, the invitations a purchase brings, the responses and answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import UTCDateTime, created_at_column, public_id_column
from community.eligibility import EligibilityColumns

TRIGGERS = ("none", "purchase")


class Survey(EligibilityColumns, db.Model):
    __tablename__ = "community_surveys"
    # The purchase path looks for live purchase-triggered surveys (community.surveys.triggers).
    __table_args__ = (Index("ix_community_surveys_trigger", "trigger", "active", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("srv")
    title: Mapped[dict] = mapped_column(JSON)
    intro: Mapped[dict] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Points for completing it, whatever the answers; 0: none.
    reward_points: Mapped[int] = mapped_column(default=0)
    # "purchase": offered (with a push) to a member after a purchase at one of the stores.
    trigger: Mapped[str] = mapped_column(String(10), default="none")
    trigger_store_ids: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()

    questions: Mapped[list[SurveyQuestion]] = relationship(
        order_by="SurveyQuestion.position", lazy="selectin", cascade="all, delete-orphan"
    )


class SurveyQuestion(db.Model):
    __tablename__ = "community_survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("sq")
    survey_id: Mapped[int] = mapped_column(ForeignKey("community_surveys.id"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[dict] = mapped_column(JSON)
    # [{"code": "coffee", "label": {"en": "Coffee"}}] for single and multiple; [] otherwise.
    options: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(default=True)


class SurveyInvitation(db.Model):
    """A purchase-triggered survey offered to a member: once per member and survey."""

    __tablename__ = "community_survey_invitations"
    __table_args__ = (UniqueConstraint("survey_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("community_surveys.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    purchase_id: Mapped[str] = mapped_column(String(32))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    created_at: Mapped[datetime] = created_at_column()


class SurveyResponse(db.Model):
    __tablename__ = "community_survey_responses"
    # One response per member and survey: the second insert fails, whatever the race.
    __table_args__ = (UniqueConstraint("survey_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = public_id_column("srsp")
    survey_id: Mapped[int] = mapped_column(ForeignKey("community_surveys.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # The store of the purchase that brought the survey, if it was one.
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    # The member agreed to be contacted about the answers (a detractor's follow-up).
    contact_consent: Mapped[bool] = mapped_column(default=False)
    points_awarded: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()


class SurveyAnswer(db.Model):
    """One question's answer; a multiple choice is one row per option chosen, so results are
    counted with one GROUP BY."""

    __tablename__ = "community_survey_answers"
    __table_args__ = (Index("ix_community_survey_answers_question", "question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("community_survey_responses.id"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("community_survey_questions.id"))
    number: Mapped[int | None]
    choice: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)
