"""Accounts, manual reviews, support requests, stored photos, staff accounts and their audit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("document_type", sa.String(20), nullable=False),
        sa.Column("document_number_enc", sa.Text, nullable=False),
        sa.Column("document_index", sa.String(64), nullable=False),
        sa.Column("masked_document_number", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("mobile_enc", sa.Text, nullable=False),
        sa.Column("mobile_index", sa.String(64), nullable=False),
        sa.Column("email_enc", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("agreement_version", sa.String(40), nullable=False),
        sa.Column("agreement_accepted_at", TZ, nullable=False),
        sa.Column("real_name_status", sa.String(20), nullable=False),
        sa.Column("real_name_checked_at", TZ, nullable=True),
        sa.Column("gender", sa.String(10), nullable=True),
        sa.Column("birth_date", sa.Date, nullable=True),
        sa.Column("ethnicity", sa.String(40), nullable=True),
        sa.Column("document_valid_from", sa.Date, nullable=True),
        sa.Column("document_valid_until", sa.String(10), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("document_type", "document_index", name="uq_accounts_document"),
    )
    op.create_index("ix_accounts_mobile_index", "accounts", ["mobile_index"])
    op.create_table(
        "manual_reviews",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("decided_by", sa.String(36), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("decision_reason", sa.Text, nullable=True),
    )
    op.create_index("ix_manual_reviews_status", "manual_reviews", ["status", "submitted_at"])
    op.create_index("ix_manual_reviews_account", "manual_reviews", ["account_id"])
    op.create_table(
        "support_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_name", sa.String(100), nullable=True),
        sa.Column("requested_gender", sa.String(10), nullable=True),
        sa.Column("requested_email_enc", sa.Text, nullable=True),
        sa.Column("requested_mobile_enc", sa.Text, nullable=True),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_by", sa.String(36), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("decision_reason", sa.Text, nullable=True),
    )
    op.create_index("ix_support_requests_status", "support_requests", ["status", "created_at"])
    op.create_table(
        "stored_photos",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner_kind", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("relative_path", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_stored_photos_owner", "stored_photos", ["owner_kind", "owner_id"])
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("totp_secret_enc", sa.Text, nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("organisation_code", sa.String(40), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("staff_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("organisation_code", sa.String(40), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target_kind", sa.String(40), nullable=False),
        sa.Column("target_id", sa.String(36), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_audit")
    op.drop_table("staff_accounts")
    op.drop_index("ix_stored_photos_owner", "stored_photos")
    op.drop_table("stored_photos")
    op.drop_index("ix_support_requests_status", "support_requests")
    op.drop_table("support_requests")
    op.drop_index("ix_manual_reviews_account", "manual_reviews")
    op.drop_index("ix_manual_reviews_status", "manual_reviews")
    op.drop_table("manual_reviews")
    op.drop_index("ix_accounts_mobile_index", "accounts")
    op.drop_table("accounts")
