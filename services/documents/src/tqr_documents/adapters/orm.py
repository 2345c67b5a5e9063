"""Tables of the documents service's own database."""

from __future__ import annotations

from servicekit.tables import inbox_table, outbox_table
from servicekit.types import UtcDateTime
from sqlalchemy import Column, Index, Integer, MetaData, String, Table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

# One row per rendered file. The key is what the file depends on: the printed data (content_hash),
# the format, and the layout of the renderer (bumped when the template changes). The bytes live in
# the storage directory under ``file_name``; a row whose file is gone counts as a miss.
form_renderings = Table(
    "form_renderings",
    metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("format", String(8), primary_key=True),
    Column("layout_version", Integer, primary_key=True),
    Column("application_id", String(64), nullable=False),
    Column("code_text", String(120), nullable=False),
    Column("file_name", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_form_renderings_application", "application_id"),
)

# R-APP-8: which version of the form each download was (who by role and subject, no personal data).
form_downloads = Table(
    "form_downloads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", String(64), nullable=False),
    Column("edit_revision", Integer, nullable=False),
    Column("form_version", String(16), nullable=False),
    Column("format", String(8), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("actor_subject_id", String(64), nullable=False),
    Column("downloaded_at", UtcDateTime(), nullable=False),
    Index("ix_form_downloads_application", "application_id", "actor_role", "id"),
)

# R-STAFF-4: who exported which point's applicants, when (no personal data of the applicants).
staff_exports = Table(
    "staff_exports",
    metadata,
    Column("export_id", String(36), primary_key=True),
    Column("actor_subject_id", String(64), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("organisation_code", String(32), nullable=False),
    Column("point_code", String(32), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("exported_at", UtcDateTime(), nullable=False),
)
