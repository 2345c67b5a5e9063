"""An index on status_history (action, at) for the staff dashboard's confirmations per day.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-20
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_status_history_action_at", "status_history", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_status_history_action_at", table_name="status_history")
