"""An index on applications.certificate_number for the public result check (R-PUB-1), which
looks an application up by certificate number alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_applications_certificate_number", "applications", ["certificate_number"])


def downgrade() -> None:
    op.drop_index("ix_applications_certificate_number", table_name="applications")
