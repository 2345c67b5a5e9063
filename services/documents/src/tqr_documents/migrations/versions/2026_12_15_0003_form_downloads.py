"""Which version of the form each download was (R-APP-8).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-15

One row per download of the application form: the application, the edit revision printed on the
form and its content version, who downloaded it (role and subject; no personal data) and when. The
portal compares the applicant's last download with the application's current revision and asks for
a new printout; point staff see the same.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_downloads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("edit_revision", sa.Integer, nullable=False),
        sa.Column("form_version", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("actor_subject_id", sa.String(64), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_form_downloads_application", "form_downloads", ["application_id", "actor_role", "id"])


def downgrade() -> None:
    op.drop_index("ix_form_downloads_application", table_name="form_downloads")
    op.drop_table("form_downloads")
