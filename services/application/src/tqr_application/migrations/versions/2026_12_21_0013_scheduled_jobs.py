"""Scheduled jobs (R-APP-9): the job leases of servicekit.scheduler, and the reminders sent, so
each applicant is reminded once per closing window.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from servicekit.migration_ops import create_job_leases_v1, drop_job_leases_v1

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_job_leases_v1()
    op.create_table(
        "deadline_reminders",
        sa.Column("window", sa.String(120), nullable=False),
        sa.Column("applicant_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("window", "applicant_id"),
    )


def downgrade() -> None:
    op.drop_table("deadline_reminders")
    drop_job_leases_v1()
