"""Code lists keep the order the reference data gives them (issue 19 item 7).

Stages, subjects and certificate types were listed by code, which put 初级中学 before 幼儿园 and
subjects in the order of their English codes. Each row now carries its ``position`` in the
province's list (the order of the imported file; later imports append). Rows already stored get
the national list's order for the codes it knows and follow it by code otherwise.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("teaching_stages", "subjects", "certificate_types")

# The national lists' order as the reference data ships it (demo_data), frozen here for the backfill.
KNOWN_ORDER: dict[str, tuple[str, ...]] = {
    "teaching_stages": ("KINDERGARTEN", "PRIMARY", "JUNIOR_SECONDARY", "SENIOR_SECONDARY", "SECONDARY_VOCATIONAL"),
    "certificate_types": ("KINDERGARTEN", "PRIMARY", "JUNIOR_SECONDARY", "SENIOR_SECONDARY",
                          "SECONDARY_VOCATIONAL", "VOCATIONAL_PRACTICE"),
    "subjects": ("CHINESE", "MATH", "ENGLISH", "PHYSICS", "CHEMISTRY", "BIOLOGY", "HISTORY", "GEOGRAPHY",
                 "POLITICS", "MORALITY", "MUSIC", "ART", "PE", "IT", "SCIENCE", "PSYCHOLOGY", "JAPANESE",
                 "RUSSIAN", "COMPUTER_APPLICATION", "ACCOUNTING", "MACHINING", "AUTOMOTIVE", "ELECTRONICS",
                 "CHILDCARE", "NONE"),
}


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
        table = sa.table(name, sa.column("code", sa.String), sa.column("position", sa.Integer))
        codes = [row.code for row in bind.execute(sa.select(table.c.code).order_by(table.c.code))]
        known = KNOWN_ORDER[name]
        ordered = [c for c in known if c in codes] + [c for c in codes if c not in known]
        for position, code in enumerate(ordered, start=1):
            bind.execute(sa.update(table).where(table.c.code == code).values(position=position))


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("position")
