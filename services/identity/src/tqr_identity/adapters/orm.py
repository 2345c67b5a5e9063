"""Tables of the identity service's own database.

Personal numbers (document number, mobile) and the email are stored only encrypted with the
personal-data cipher (``*_enc``, bound to their row and column by associated data). Look-ups go
through keyed blind indexes (``*_index``); the UNIQUE constraint on (document type, document
index) is what makes concurrent registrations of one document produce exactly one account (R-ID-2).
The masked document number is kept in clear on purpose: it is what every page shows, and it lets
``ResolveSession`` answer without decrypting anything.
"""

from __future__ import annotations

from servicekit.scheduler import job_leases_table
from servicekit.tables import inbox_table, outbox_table
from servicekit.types import UtcDateTime
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
job_leases = job_leases_table(metadata)  # servicekit.scheduler: one replica runs each due job

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("document_type", String(20), nullable=False),
    Column("document_number_enc", Text, nullable=False),
    Column("document_index", String(64), nullable=False),
    Column("masked_document_number", String(40), nullable=False),
    Column("name", String(100), nullable=False),
    Column("mobile_enc", Text, nullable=False),
    Column("mobile_index", String(64), nullable=False),
    Column("email_enc", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("agreement_version", String(40), nullable=False),
    Column("agreement_accepted_at", UtcDateTime(), nullable=False),
    Column("real_name_status", String(20), nullable=False),
    Column("real_name_checked_at", UtcDateTime(), nullable=True),
    Column("gender", String(10), nullable=True),
    Column("birth_date", Date, nullable=True),
    Column("ethnicity", String(40), nullable=True),
    Column("document_valid_from", Date, nullable=True),
    Column("document_valid_until", String(10), nullable=True),  # ISO date or LONG_TERM
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("document_type", "document_index", name="uq_accounts_document"),
    Index("ix_accounts_mobile_index", "mobile_index"),
)

manual_reviews = Table(
    "manual_reviews",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("decided_by", String(36), nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("decision_reason", Text, nullable=True),
    # R-STAFF-10: when the scheduled job found the case past its due date and escalated it.
    Column("escalated_at", UtcDateTime(), nullable=True),
    Index("ix_manual_reviews_status", "status", "submitted_at"),
    Index("ix_manual_reviews_account", "account_id"),
)

support_requests = Table(
    "support_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("requested_name", String(100), nullable=True),
    Column("requested_gender", String(10), nullable=True),
    Column("requested_email_enc", Text, nullable=True),
    Column("requested_mobile_enc", Text, nullable=True),
    Column("explanation", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("decided_by", String(36), nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("decision_reason", Text, nullable=True),
    # R-ID-11: sent without signing in (only a document photo vouches for the sender), and the
    # name the sender typed, for the reviewer to compare with the account's.
    Column("without_sign_in", Boolean, nullable=False, default=False),
    Column("claimed_name", String(100), nullable=True),
    Index("ix_support_requests_status", "status", "created_at"),
)

# Photos of documents: whose they are (this table) and their bytes (photo_contents).
stored_photos = Table(
    "stored_photos",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner_kind", String(20), nullable=False),  # manual_review | support_request
    Column("owner_id", String(36), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_stored_photos_owner", "owner_kind", "owner_id"),
)

# A photo shows the document number, so its bytes are sealed with the personal-data keyring
# (nonce | ciphertext+tag, bound to the photo id); key_id names the key, so a rotation finds the
# rows still sealed with an older one. Kept in the database that every replica shares: a photo
# outlives the process that received it. Apart from stored_photos, so lists never read the bytes.
photo_contents = Table(
    "photo_contents",
    metadata,
    Column("photo_id", String(36), ForeignKey("stored_photos.id"), primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
)

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("totp_secret_enc", Text, nullable=False),
    Column("roles", String(200), nullable=False),  # comma-separated role names
    Column("organisation_code", String(40), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # R-STAFF-5: set up by an administrator, the account signs in only after enrolling (a new
    # password with the one-time setup code, and/or a new TOTP secret); codes are stored as hashes.
    Column("must_enrol", Boolean, nullable=False, default=False),
    Column("setup_code_hash", String(64), nullable=True),
    Column("setup_code_expires_at", UtcDateTime(), nullable=True),
    Column("recovery_code_hashes", Text, nullable=False, default=""),  # comma-separated
)

# R-STAFF-4: every reviewer decision, who made it, in which organisation, and why.
staff_audit = Table(
    "staff_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("staff_id", String(36), nullable=False),
    Column("role", String(40), nullable=False),
    Column("organisation_code", String(40), nullable=False),
    Column("action", String(60), nullable=False),
    Column("target_kind", String(40), nullable=False),
    Column("target_id", String(36), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("reason", Text, nullable=False, default=""),
)
