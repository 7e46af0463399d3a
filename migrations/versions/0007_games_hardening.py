"""games hardening: challenge rewards held for the return window, contests settled after it

Revision ID: 0007_games_hardening
Revises: 0006_ledger_checks
Create Date: 2026-12-01 13:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_games_hardening"
down_revision = "0006_ledger_checks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("game_challenge_completions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reward_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(
            "uq_game_challenge_completions_challenge_id_member_id_window_key", type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_game_challenge_completions_window_number",
            ["challenge_id", "member_id", "window_key", "number"],
        )
    # Completions made before this revision were paid at once: final, recorded when completed.
    op.execute("UPDATE game_challenge_completions SET recorded_at = completed_at")
    with op.batch_alter_table("game_challenge_completions", schema=None) as batch_op:
        batch_op.alter_column("number", server_default=None)
        batch_op.alter_column(
            "recorded_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )

    with op.batch_alter_table("game_contests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settles_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("game_contests", schema=None) as batch_op:
        batch_op.drop_column("settles_at")
    # A contest still settling is closed by the older code at its next run.
    op.execute("UPDATE game_contests SET status = 'open' WHERE status = 'settling'")

    # Only the latest completion of a window survives under the older unique key.
    op.execute(
        "DELETE FROM game_challenge_completions WHERE number < "
        "(SELECT MAX(c2.number) FROM game_challenge_completions c2 "
        "WHERE c2.challenge_id = game_challenge_completions.challenge_id "
        "AND c2.member_id = game_challenge_completions.member_id "
        "AND c2.window_key = game_challenge_completions.window_key)"
    )
    with op.batch_alter_table("game_challenge_completions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_game_challenge_completions_window_number", type_="unique")
        batch_op.create_unique_constraint(
            "uq_game_challenge_completions_challenge_id_member_id_window_key",
            ["challenge_id", "member_id", "window_key"],
        )
        batch_op.drop_column("reversed_at")
        batch_op.drop_column("held_until")
        batch_op.drop_column("reward_key")
        batch_op.drop_column("recorded_at")
        batch_op.drop_column("number")
