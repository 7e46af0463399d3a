"""outbox jobs keep the id of the request that wrote them

- outbox_jobs.request_id: the request's X-Request-ID (or the id of the job that wrote this
  one), so that a job's log lines in a worker carry the id of the request that caused them.
  Null for jobs written outside a request (the beat, commands) and for jobs written before.

Revision ID: 0015_outbox_request_id
Revises: 0014_analytics
Create Date: 2026-12-01 20:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_outbox_request_id"
down_revision = "0014_analytics"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.drop_column("request_id")
