"""The inbox keeps each message's English beside its Chinese, so a page shows one language.

``title`` and ``body`` hold the Chinese; rows written before this revision hold both languages
there and no English columns, and are shown as they are.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbox_messages", sa.Column("title_en", sa.Text, nullable=True))
    op.add_column("inbox_messages", sa.Column("body_en", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("inbox_messages", "body_en")
    op.drop_column("inbox_messages", "title_en")
