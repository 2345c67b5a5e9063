"""Each authority's own materials checklist (issue 19 item 19); an authority without rows uses the
default checklist of domain/checklist.py.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "materials_checklist_items",
        sa.Column("authority_code", sa.String(6), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("authority_code", "position", name="pk_materials_checklist_items"),
        sa.UniqueConstraint("authority_code", "code", name="uq_materials_checklist_items_code"),
    )


def downgrade() -> None:
    op.drop_table("materials_checklist_items")
