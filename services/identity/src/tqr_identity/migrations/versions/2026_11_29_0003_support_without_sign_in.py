"""Support requests sent without signing in (R-ID-11): the flag and the name the sender typed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("support_requests") as batch:
        batch.add_column(sa.Column("without_sign_in", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("claimed_name", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_requests") as batch:
        batch.drop_column("claimed_name")
        batch.drop_column("without_sign_in")
