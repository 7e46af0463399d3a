"""community: surveys, product votes, events with early access, members' interests

- community_surveys, _survey_questions, _survey_invitations (a purchase's survey, once per
  member), _survey_responses (one per member and survey), _survey_answers;
- community_polls, _poll_candidates, _poll_votes (one per member and candidate);
- community_events, _event_rsvps (one per member and event, in arrival order);
- community_interests, _member_interests, _contact_preferences;
- push_preferences: a switch for each of the community's pushes (on for everyone).

Revision ID: 0011_community
Revises: 0010_members_data
Create Date: 2026-12-01 14:02:23

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_community"
down_revision = "0010_members_data"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "community_interests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("reward_ids", sa.JSON(), nullable=False),
        sa.Column("offer_ids", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_interests")),
        sa.UniqueConstraint("code", name=op.f("uq_community_interests_code")),
        sa.UniqueConstraint("public_id", name=op.f("uq_community_interests_public_id")),
    )
    op.create_table(
        "community_polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("votes_per_member", sa.Integer(), nullable=False),
        sa.Column("results_visibility", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("winner_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("segment_id", sa.String(length=32), nullable=True),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_polls")),
        sa.UniqueConstraint("public_id", name=op.f("uq_community_polls_public_id")),
    )
    with op.batch_alter_table("community_polls", schema=None) as batch_op:
        batch_op.create_index("ix_community_polls_due", ["status", "ends_at"], unique=False)

    op.create_table(
        "community_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("intro", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reward_points", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("trigger_store_ids", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("segment_id", sa.String(length=32), nullable=True),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_surveys")),
        sa.UniqueConstraint("public_id", name=op.f("uq_community_surveys_public_id")),
    )
    with op.batch_alter_table("community_surveys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_surveys_trigger", ["trigger", "active", "ends_at"], unique=False
        )

    op.create_table(
        "community_poll_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["community_polls.id"],
            name=op.f("fk_community_poll_candidates_poll_id_community_polls"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_poll_candidates")),
        sa.UniqueConstraint("public_id", name=op.f("uq_community_poll_candidates_public_id")),
    )
    with op.batch_alter_table("community_poll_candidates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_poll_candidates_poll_id"), ["poll_id"], unique=False
        )

    op.create_table(
        "community_survey_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["community_surveys.id"],
            name=op.f("fk_community_survey_questions_survey_id_community_surveys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_survey_questions")),
        sa.UniqueConstraint("public_id", name=op.f("uq_community_survey_questions_public_id")),
    )
    with op.batch_alter_table("community_survey_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_survey_questions_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "community_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("price_points", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("early_access", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("confirmed_count", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("segment_id", sa.String(length=32), nullable=True),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_community_events_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_events")),
        sa.UniqueConstraint("public_id", name=op.f("uq_community_events_public_id")),
    )
    with op.batch_alter_table("community_events", schema=None) as batch_op:
        batch_op.create_index("ix_community_events_starts", ["starts_at"], unique=False)

    op.create_table(
        "community_contact_preferences",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("interest_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interest_id"],
            ["community_interests.id"],
            name=op.f("fk_community_contact_preferences_interest_id_community_interests"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_community_contact_preferences_member_id_members"),
        ),
        sa.PrimaryKeyConstraint(
            "member_id", "channel", "interest_id", name=op.f("pk_community_contact_preferences")
        ),
    )
    with op.batch_alter_table("community_contact_preferences", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_contact_interest", ["interest_id", "channel"], unique=False
        )

    op.create_table(
        "community_event_rsvps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("booking", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=True),
        sa.Column("points_paid", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["community_events.id"],
            name=op.f("fk_community_event_rsvps_event_id_community_events"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_community_event_rsvps_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_event_rsvps")),
        sa.UniqueConstraint("code", name=op.f("uq_community_event_rsvps_code")),
        sa.UniqueConstraint(
            "event_id", "member_id", name=op.f("uq_community_event_rsvps_event_id_member_id")
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_community_event_rsvps_public_id")),
    )
    with op.batch_alter_table("community_event_rsvps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_event_rsvps_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            "ix_community_rsvps_line", ["event_id", "status", "seq"], unique=False
        )

    op.create_table(
        "community_member_interests",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("interest_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interest_id"],
            ["community_interests.id"],
            name=op.f("fk_community_member_interests_interest_id_community_interests"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_community_member_interests_member_id_members"),
        ),
        sa.PrimaryKeyConstraint(
            "member_id", "interest_id", name=op.f("pk_community_member_interests")
        ),
    )
    with op.batch_alter_table("community_member_interests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_member_interests_interest", ["interest_id"], unique=False
        )

    op.create_table(
        "community_poll_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["community_poll_candidates.id"],
            name=op.f("fk_community_poll_votes_candidate_id_community_poll_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_community_poll_votes_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["community_polls.id"],
            name=op.f("fk_community_poll_votes_poll_id_community_polls"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_poll_votes")),
        sa.UniqueConstraint(
            "poll_id",
            "member_id",
            "candidate_id",
            name=op.f("uq_community_poll_votes_poll_id_member_id_candidate_id"),
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_community_poll_votes_public_id")),
    )
    with op.batch_alter_table("community_poll_votes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_poll_votes_candidate", ["poll_id", "candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_community_poll_votes_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "community_survey_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_community_survey_invitations_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_community_survey_invitations_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["community_surveys.id"],
            name=op.f("fk_community_survey_invitations_survey_id_community_surveys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_survey_invitations")),
        sa.UniqueConstraint(
            "survey_id",
            "member_id",
            name=op.f("uq_community_survey_invitations_survey_id_member_id"),
        ),
    )
    with op.batch_alter_table("community_survey_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_survey_invitations_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "community_survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("contact_consent", sa.Boolean(), nullable=False),
        sa.Column("points_awarded", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_community_survey_responses_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_community_survey_responses_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["community_surveys.id"],
            name=op.f("fk_community_survey_responses_survey_id_community_surveys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_survey_responses")),
        sa.UniqueConstraint("public_id", name=op.f("uq_community_survey_responses_public_id")),
        sa.UniqueConstraint(
            "survey_id", "member_id", name=op.f("uq_community_survey_responses_survey_id_member_id")
        ),
    )
    with op.batch_alter_table("community_survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_survey_responses_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "community_survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("choice", sa.String(length=40), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["community_survey_questions.id"],
            name=op.f("fk_community_survey_answers_question_id_community_survey_questions"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["community_survey_responses.id"],
            name=op.f("fk_community_survey_answers_response_id_community_survey_responses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_survey_answers")),
    )
    with op.batch_alter_table("community_survey_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_survey_answers_question", ["question_id", "number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_community_survey_answers_response_id"), ["response_id"], unique=False
        )

    with op.batch_alter_table("push_preferences", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("survey_invitation", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("poll_result", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("event_waitlist", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("push_preferences", schema=None) as batch_op:
        batch_op.drop_column("event_waitlist")
        batch_op.drop_column("poll_result")
        batch_op.drop_column("survey_invitation")

    with op.batch_alter_table("community_survey_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_survey_answers_response_id"))
        batch_op.drop_index("ix_community_survey_answers_question")

    op.drop_table("community_survey_answers")
    with op.batch_alter_table("community_survey_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_survey_responses_member_id"))

    op.drop_table("community_survey_responses")
    with op.batch_alter_table("community_survey_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_survey_invitations_member_id"))

    op.drop_table("community_survey_invitations")
    with op.batch_alter_table("community_poll_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_poll_votes_member_id"))
        batch_op.drop_index("ix_community_poll_votes_candidate")

    op.drop_table("community_poll_votes")
    with op.batch_alter_table("community_member_interests", schema=None) as batch_op:
        batch_op.drop_index("ix_community_member_interests_interest")

    op.drop_table("community_member_interests")
    with op.batch_alter_table("community_event_rsvps", schema=None) as batch_op:
        batch_op.drop_index("ix_community_rsvps_line")
        batch_op.drop_index(batch_op.f("ix_community_event_rsvps_member_id"))

    op.drop_table("community_event_rsvps")
    with op.batch_alter_table("community_contact_preferences", schema=None) as batch_op:
        batch_op.drop_index("ix_community_contact_interest")

    op.drop_table("community_contact_preferences")
    with op.batch_alter_table("community_events", schema=None) as batch_op:
        batch_op.drop_index("ix_community_events_starts")

    op.drop_table("community_events")
    with op.batch_alter_table("community_survey_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_survey_questions_survey_id"))

    op.drop_table("community_survey_questions")
    with op.batch_alter_table("community_poll_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_poll_candidates_poll_id"))

    op.drop_table("community_poll_candidates")
    with op.batch_alter_table("community_surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_community_surveys_trigger")

    op.drop_table("community_surveys")
    with op.batch_alter_table("community_polls", schema=None) as batch_op:
        batch_op.drop_index("ix_community_polls_due")

    op.drop_table("community_polls")
    op.drop_table("community_interests")
