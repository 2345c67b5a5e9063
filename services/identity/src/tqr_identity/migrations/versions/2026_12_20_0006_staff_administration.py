"""Staff administration (R-STAFF-5): one-time setup codes, TOTP enrolment at first sign-in, recovery codes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-20

Accounts made before this revision (the demo seed, ``create-admin``) have a password and an enrolled
TOTP secret, so they keep signing in as before: ``must_enrol`` starts false and no code is pending.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(sa.Column("must_enrol", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("setup_code_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("setup_code_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("recovery_code_hashes", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        for column in ("recovery_code_hashes", "setup_code_expires_at", "setup_code_hash",
                       "must_enrol"):
            batch.drop_column(column)
