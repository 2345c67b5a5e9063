"""A certificate live in two plans is flagged to both authorities (R-STAFF-8).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-20

``cross_plan_duplicates`` holds one row per direction for every pair of live (not final)
applications of different plans with the same certificate number. Applications already stored
are paired here, once; from then on the service keeps the rows with each change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The final statuses as they were when this revision was written (frozen, not imported).
_FINAL = ("NOT_ELIGIBLE", "REGISTERED", "DEFERRED", "REJECTED", "WITHDRAWN")


def upgrade() -> None:
    op.create_table(
        "cross_plan_duplicates",
        sa.Column("application_id", sa.String(36), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("other_application_id", sa.String(36), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("other_authority_code", sa.String(6), nullable=False),
        sa.Column("other_plan_id", sa.String(36), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("application_id", "other_application_id", name="pk_cross_plan_duplicates"),
    )
    op.create_index("ix_cross_plan_duplicates_other", "cross_plan_duplicates", ["other_application_id"])
    final: sa.BindParameter[list[str]] = sa.bindparam("final", list(_FINAL), expanding=True)
    op.get_bind().execute(
        sa.text(
            "INSERT INTO cross_plan_duplicates "
            "(application_id, other_application_id, other_authority_code, other_plan_id, since) "
            "SELECT a.id, b.id, b.authority_code, b.plan_id, "
            "CASE WHEN a.submitted_at > b.submitted_at THEN a.submitted_at ELSE b.submitted_at END "
            "FROM applications a JOIN applications b "
            "ON b.certificate_number = a.certificate_number AND b.plan_id <> a.plan_id "
            "WHERE a.status NOT IN :final AND b.status NOT IN :final"
        ).bindparams(final)
    )


def downgrade() -> None:
    op.drop_index("ix_cross_plan_duplicates_other", table_name="cross_plan_duplicates")
    op.drop_table("cross_plan_duplicates")
