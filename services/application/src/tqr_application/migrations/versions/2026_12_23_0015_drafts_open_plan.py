"""Each draft's plan while it is not submitted, in a column of its own with a partial index: the
reminder before a plan's online window closes (R-APP-9) finds that plan's open drafts by index
instead of reading the JSON of every draft at every pass.

On PostgreSQL the backfill rewrites every open draft and the index build holds back writes to
drafts while it runs: upgrade outside an application window. Pods of the release before keep
saving drafts without the column while the new one rolls out: a draft that one of them submits
or moves to another authority is still checked against its JSON by the reminder
(``deadlines.open_drafts_to_remind``); one that first reaches step 4 there gets its plan at its
next save.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The drafts already there: the plan from their JSON, where they are not submitted (a JSON null
# reads as SQL NULL in both).
_BACKFILL = {
    "postgresql": "UPDATE drafts SET open_plan_id = data #>> '{draft,authority,plan_id}' "
                  "WHERE data #>> '{draft,submission}' IS NULL",
    "sqlite": "UPDATE drafts SET open_plan_id = json_extract(data, '$.draft.authority.plan_id') "
              "WHERE json_extract(data, '$.draft.submission') IS NULL",
}


def upgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("open_plan_id", sa.String(36), nullable=True))
    op.execute(_BACKFILL[op.get_bind().dialect.name])
    op.create_index("ix_drafts_open_plan", "drafts", ["open_plan_id", "applicant_id"],
                    postgresql_where=sa.text("open_plan_id IS NOT NULL"),
                    sqlite_where=sa.text("open_plan_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_drafts_open_plan", table_name="drafts")
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("open_plan_id")
