"""Overdue manual reviews (R-STAFF-10): when each was escalated, and the job leases of
servicekit.scheduler that make one replica escalate them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from servicekit.migration_ops import create_job_leases_v1, drop_job_leases_v1

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("manual_reviews") as batch:
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    create_job_leases_v1()


def downgrade() -> None:
    drop_job_leases_v1()
    with op.batch_alter_table("manual_reviews") as batch:
        batch.drop_column("escalated_at")
