"""The render cache of application forms and the log of staff exports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_renderings",
        sa.Column("content_hash", sa.String(64), primary_key=True),
        sa.Column("format", sa.String(8), primary_key=True),
        sa.Column("layout_version", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("code_text", sa.String(120), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_form_renderings_application", "form_renderings", ["application_id"])
    op.create_table(
        "staff_exports",
        sa.Column("export_id", sa.String(36), primary_key=True),
        sa.Column("actor_subject_id", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("organisation_code", sa.String(32), nullable=False),
        sa.Column("point_code", sa.String(32), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_exports")
    op.drop_index("ix_form_renderings_application", table_name="form_renderings")
    op.drop_table("form_renderings")
