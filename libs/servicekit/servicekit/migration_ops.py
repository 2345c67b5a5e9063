"""Migration operations every service's first revision runs.

Frozen: a migration must create the same tables forever, so a change to the outbox or inbox goes
into a new function here (``..._v2``) called by a new revision, never into these.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_outbox_and_inbox_v1() -> None:
    op.create_table(
        "outbox",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("aggregate_id", sa.String(100), nullable=False),
        sa.Column("envelope", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "created_at"])
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
    )


def drop_outbox_and_inbox_v1() -> None:
    op.drop_table("inbox")
    op.drop_index("ix_outbox_unpublished", "outbox")
    op.drop_table("outbox")


def create_job_leases_v1() -> None:
    """The lease rows of ``servicekit.scheduler`` (one per scheduled job)."""
    op.create_table(
        "job_leases",
        sa.Column("job", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.Integer, nullable=True),
    )


def drop_job_leases_v1() -> None:
    op.drop_table("job_leases")
