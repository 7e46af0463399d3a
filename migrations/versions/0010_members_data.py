"""members' data: a consent record, erasures, an audit trail, and what retention needs

- consent_records (append-only) replace members.marketing_consent: each member's answer is
  carried over as a `marketing_push` record (channel `migration`, text version `1`), and the
  column is dropped (Member.marketing_consent now reads the newest record);
- member_erasures: an erasure and the steps it has done;
- audit_events: operators' actions;
- auth_sessions.refreshed_at (from created_at for existing sessions): retention deletes a
  session once its newest refresh token has expired;
- push_campaigns.archived_counts: a campaign's counts kept when its deliveries are deleted;
- indexes the retention batches use (idempotency keys, done outbox jobs, push deliveries).

Revision ID: 0010_members_data
Revises: 0009_passes_registration_tokens
Create Date: 2026-12-01 14:30:00

"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010_members_data"
down_revision = "0009_passes_registration_tokens"
branch_labels = None
depends_on = None

BATCH = 1000


def _public_id() -> str:
    return f"cns_{secrets.token_urlsafe(12)}"


def upgrade():
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=40), nullable=False),
        sa.Column("actor_role", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target_type", sa.String(length=30), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("public_id", name=op.f("uq_audit_events_public_id")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_action", ["action", "id"], unique=False)
        batch_op.create_index("ix_audit_events_actor", ["actor_id", "id"], unique=False)
        batch_op.create_index("ix_audit_events_created", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_audit_events_target", ["target_type", "target_id", "id"], unique=False
        )

    consent_records = op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("text_version", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_consent_records_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
        sa.UniqueConstraint("public_id", name=op.f("uq_consent_records_public_id")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_records_member_purpose", ["member_id", "purpose", "id"], unique=False
        )

    op.create_table(
        "member_erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("requested_role", sa.String(length=10), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("steps_done", sa.JSON(), nullable=False),
        sa.Column("points_forfeited", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_erasures_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_erasures")),
        sa.UniqueConstraint("member_id", name=op.f("uq_member_erasures_member_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_member_erasures_public_id")),
    )

    # Each member's marketing answer becomes the first record of the consent record.
    conn = op.get_bind()
    now = datetime.now(UTC)
    last_id = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, marketing_consent FROM members WHERE id > :last ORDER BY id LIMIT :n"
            ),
            {"last": last_id, "n": BATCH},
        ).all()
        if not rows:
            break
        op.bulk_insert(
            consent_records,
            [
                {
                    "public_id": _public_id(),
                    "member_id": member_id,
                    "purpose": "marketing_push",
                    "granted": bool(consent),
                    "text_version": "1",
                    "channel": "migration",
                    "recorded_at": now,
                }
                for member_id, consent in rows
            ],
        )
        last_id = rows[-1][0]
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("marketing_consent")

    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE auth_sessions SET refreshed_at = created_at")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.alter_column(
            "refreshed_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_refreshed_at"), ["refreshed_at"], unique=False
        )

    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_created", ["created_at"], unique=False)
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_finished", ["status", "finished_at"], unique=False)
    with op.batch_alter_table("push_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_counts", sa.JSON(), nullable=True))
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_push_deliveries_created", ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_push_deliveries_created")
    with op.batch_alter_table("push_campaigns", schema=None) as batch_op:
        batch_op.drop_column("archived_counts")
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_finished")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_keys_created")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_refreshed_at"))
        batch_op.drop_column("refreshed_at")

    # The column again, from each member's newest marketing_push record.
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("marketing_consent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE members SET marketing_consent = COALESCE((SELECT r.granted FROM consent_records r "
        "WHERE r.member_id = members.id AND r.purpose = 'marketing_push' "
        "ORDER BY r.id DESC LIMIT 1), false)"
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column("marketing_consent", server_default=None)

    op.drop_table("member_erasures")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_records_member_purpose")
    op.drop_table("consent_records")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_target")
        batch_op.drop_index("ix_audit_events_created")
        batch_op.drop_index("ix_audit_events_actor")
        batch_op.drop_index("ix_audit_events_action")
    op.drop_table("audit_events")
