"""Certificates belong to their holders (R-WIZ-10); numbers in one canonical form (R-WIZ-11).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-12

- ``applications.certificate_number`` widens to 30 characters, what the wizard has always accepted
  (a number that is not 15 or 17 digits is a warning the applicant may continue past); 17 made such
  a submission fail on PostgreSQL.
- Certificate numbers stored before R-WIZ-11 (full-width digits typed with a Chinese input method,
  lower-case letters kept by older code) are rewritten in the canonical form: NFKC, no whitespace
  or dashes, upper case. The rule is frozen here as it was written, not imported.
- The live key becomes (plan, certificate, applicant): another applicant's claim to a number no
  longer blocks anybody (R-WIZ-10); one applicant still holds one live application per
  certificate in a plan (R-WIZ-9). It is rebuilt from the old key's rows with the applicant and
  the rewritten number. Where the rewriting makes two live applications of one applicant share a
  key (the defect R-WIZ-11 closes: one full-width, one ASCII), the earlier submitted one keeps it;
  the later stays as it is, without a key, for the applicant to withdraw or the point to decide.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")
_APPLICATIONS = sa.table("applications", sa.column("id", sa.String), sa.column("certificate_number", sa.String),
                         sa.column("data", sa.JSON))


def _canonical(number: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", number)).upper()


def _not_canonical(dialect: str) -> sa.TextClause:
    if dialect == "postgresql":
        return sa.text("certificate_number ~ '[^0-9A-Z]'")
    return sa.text("certificate_number GLOB '*[^0-9A-Z]*'")


def _widen_certificate_number(dialect: str) -> None:
    if dialect == "sqlite":
        # SQLite alters a column by copying the table, and dropping the original deletes its rows
        # under the eyes of status_history's and messages' foreign keys. SQLite's own procedure
        # for this: foreign keys off (only possible outside a transaction, so what ran before is
        # committed here: revision 0004 complete), copy, then check every key by hand.
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys = OFF")
    with op.batch_alter_table("applications") as batch:
        batch.alter_column("certificate_number", existing_type=sa.String(17), type_=sa.String(30),
                           existing_nullable=False)
    if dialect == "sqlite":
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"foreign keys broken by copying applications: {broken[:5]}")


def _rewrite_numbers(dialect: str) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_APPLICATIONS.c.id, _APPLICATIONS.c.certificate_number, _APPLICATIONS.c.data)
        .where(_not_canonical(dialect))
    ).all()
    for row in rows:
        number = _canonical(row.certificate_number)
        data = dict(row.data)
        data["certificate"] = {**data.get("certificate", {}), "certificate_number": number}
        connection.execute(sa.update(_APPLICATIONS).where(_APPLICATIONS.c.id == row.id)
                           .values(certificate_number=number, data=data))


def _rebuild_live_key() -> None:
    op.create_table(
        "live_applications_v2",
        sa.Column("plan_id", sa.String(36), nullable=False),
        sa.Column("certificate_number", sa.String(30), nullable=False),
        sa.Column("applicant_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "certificate_number", "applicant_id", name="pk_live_applications"),
        sa.UniqueConstraint("application_id", name="uq_live_applications_application"),
    )
    op.execute(
        "INSERT INTO live_applications_v2 (plan_id, certificate_number, applicant_id, application_id) "
        "SELECT plan_id, certificate_number, applicant_id, application_id FROM ("
        " SELECT l.plan_id, a.certificate_number, a.applicant_id, l.application_id,"
        "  ROW_NUMBER() OVER (PARTITION BY l.plan_id, a.certificate_number, a.applicant_id"
        "                     ORDER BY a.submitted_at, a.id) AS place"
        " FROM live_applications l JOIN applications a ON a.id = l.application_id"
        ") ranked WHERE place = 1"
    )
    op.drop_table("live_applications")
    op.rename_table("live_applications_v2", "live_applications")
    op.create_index("ix_live_applications_certificate", "live_applications", ["certificate_number"])


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _widen_certificate_number(dialect)
    _rewrite_numbers(dialect)
    _rebuild_live_key()


def downgrade() -> None:
    # Back to one key per (plan, certificate): where several applicants hold live applications for
    # one number in a plan, the earliest submitted keeps the key. Certificate numbers stay 30 wide
    # and canonical: narrowing would fail for the longer ones, and no code needs them full width.
    op.create_table(
        "live_applications_v1",
        sa.Column("plan_id", sa.String(36), nullable=False),
        sa.Column("certificate_number", sa.String(17), nullable=False),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "certificate_number"),
        sa.UniqueConstraint("application_id"),
    )
    op.execute(
        "INSERT INTO live_applications_v1 (plan_id, certificate_number, application_id) "
        "SELECT plan_id, certificate_number, application_id FROM ("
        " SELECT l.plan_id, l.certificate_number, l.application_id,"
        "  ROW_NUMBER() OVER (PARTITION BY l.plan_id, l.certificate_number ORDER BY a.submitted_at, a.id) AS place"
        " FROM live_applications l JOIN applications a ON a.id = l.application_id"
        " WHERE length(l.certificate_number) <= 17"
        ") ranked WHERE place = 1"
    )
    op.drop_index("ix_live_applications_certificate", "live_applications")
    op.drop_table("live_applications")
    op.rename_table("live_applications_v1", "live_applications")
