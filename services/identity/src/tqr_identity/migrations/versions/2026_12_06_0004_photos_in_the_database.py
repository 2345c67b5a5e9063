"""Photos of documents kept (encrypted) in the database instead of a directory of one process.

A photo saved as a file under the storage directory was lost with its pod (an emptyDir) and could
not be read by another replica. Photos stored before this revision are not carried over: their
rows stay (the cases still list them) and reading one answers "photo not found".

Rolling out: replicas of the previous version still running while this revision is applied fail
photo uploads and reads with an error (the column they name is gone) until they are replaced;
nothing is half-stored meanwhile. Downgrading drops every photo's bytes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photo_contents",
        sa.Column("photo_id", sa.String(36), sa.ForeignKey("stored_photos.id"), primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
    )
    with op.batch_alter_table("stored_photos") as batch:
        batch.drop_column("relative_path")


def downgrade() -> None:
    with op.batch_alter_table("stored_photos") as batch:
        batch.add_column(sa.Column("relative_path", sa.String(200), nullable=False, server_default=""))
    op.drop_table("photo_contents")
