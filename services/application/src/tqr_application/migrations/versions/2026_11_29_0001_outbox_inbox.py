"""Outbox and inbox tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from servicekit.migration_ops import create_outbox_and_inbox_v1, drop_outbox_and_inbox_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_and_inbox_v1()


def downgrade() -> None:
    drop_outbox_and_inbox_v1()
