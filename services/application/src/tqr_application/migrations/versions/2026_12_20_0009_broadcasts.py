"""Broadcasts to the applicants of a plan or a point (R-STAFF-7): the filter, the text, the count.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("author_id", sa.String(64), nullable=False),
        sa.Column("author_role", sa.String(32), nullable=False),
        sa.Column("author_org", sa.String(32), nullable=False),
        sa.Column("author_org_name", sa.String(200), nullable=False),
        sa.Column("plan_id", sa.String(36), nullable=True),
        sa.Column("point_code", sa.String(32), nullable=True),
        sa.Column("statuses", sa.JSON, nullable=False),
        sa.Column("subject_zh", sa.Text, nullable=False),
        sa.Column("body_zh", sa.Text, nullable=False),
        sa.Column("subject_en", sa.Text, nullable=False),
        sa.Column("body_en", sa.Text, nullable=False),
        sa.Column("recipient_count", sa.Integer, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("author_id", "idempotency_key", name="uq_broadcasts_author_key"),
    )
    op.create_index("ix_broadcasts_org", "broadcasts", ["author_org", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_broadcasts_org", table_name="broadcasts")
    op.drop_table("broadcasts")
