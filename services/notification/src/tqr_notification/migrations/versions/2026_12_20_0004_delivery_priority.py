"""Deliveries get a priority: broadcasts (R-STAFF-7) go on a lower one, claimed after every due
code and status message and at a paced rate, so that a large broadcast never holds them up.

Revision ID: 0004_priority
Revises: 0003
Create Date: 2026-12-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_priority"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("priority", sa.SmallInteger, nullable=False, server_default="0"))
    op.create_index("ix_deliveries_due_priority", "deliveries", ["status", "priority", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_due_priority", table_name="deliveries")
    op.drop_column("deliveries", "priority")
