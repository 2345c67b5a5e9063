"""Tables of the application service's own database (SQLAlchemy Core; SQLite and PostgreSQL).

Personal data at rest: identity document numbers are stored sealed (AES-GCM, ``*_sealed``) next to
a keyed blind index (HMAC, ``document_index``) that equality look-ups use; never in clear.
"""

from __future__ import annotations

from servicekit.scheduler import job_leases_table
from servicekit.tables import inbox_table, outbox_table
from servicekit.types import UtcDateTime
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()
CERTIFICATE_NUMBER_LENGTH = 30  # wider than validation.MAX_CERTIFICATE_NUMBER accepts
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
job_leases = job_leases_table(metadata)  # servicekit.scheduler: one replica runs each due job

# --- reference data (§2) -------------------------------------------------------------------------
regions = Table(
    "regions", metadata,
    Column("code", String(6), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent_code", String(6), nullable=True, index=True),
)
authorities = Table(
    "authorities", metadata,
    Column("code", String(6), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region_code", String(6), ForeignKey("regions.code"), nullable=False, index=True),
    Column("address", String(300), nullable=False, default=""),
    Column("phone", String(50), nullable=False, default=""),
)
confirmation_points = Table(
    "confirmation_points", metadata,
    Column("code", String(32), primary_key=True),
    Column("authority_code", String(6), ForeignKey("authorities.code"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("address", String(300), nullable=False),
    Column("phone", String(50), nullable=False),
    Column("scope", Text, nullable=False),
    # 现场确认注意事项 (R-APP-4), written by the point's staff, shown to its applicants.
    Column("onsite_notes", Text, nullable=False, default=""),
)
teaching_stages = Table(
    "teaching_stages", metadata,
    Column("code", String(32), primary_key=True), Column("name", String(100), nullable=False, unique=True),
    Column("position", Integer, nullable=False, server_default="0"),  # the list's order (not the code's)
)
subjects = Table(
    "subjects", metadata,
    Column("code", String(32), primary_key=True), Column("name", String(100), nullable=False, unique=True),
    Column("position", Integer, nullable=False, server_default="0"),  # the list's order (not the code's)
)
certificate_types = Table(
    "certificate_types", metadata,
    Column("code", String(32), primary_key=True), Column("name", String(100), nullable=False, unique=True),
    Column("position", Integer, nullable=False, server_default="0"),  # the list's order (not the code's)
)
registry_certificates = Table(
    "registry_certificates", metadata,
    Column("certificate_number", String(17), primary_key=True),
    Column("holder_name", String(100), nullable=False),
    Column("document_type", String(32), nullable=False),
    Column("document_number_sealed", Text, nullable=False),
    Column("document_index", String(64), nullable=False, index=True),
    Column("certificate_type_code", String(32), nullable=False),
    Column("subject_code", String(32), nullable=False),
    Column("issuing_body", String(200), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("gender", String(1), nullable=False, default=""),
    Column("birth_date", Date, nullable=True),
    Column("province_code", String(6), nullable=False, default=""),
    Column("photo", LargeBinary, nullable=True),
)

# --- plans (§3) ----------------------------------------------------------------------------------
plans = Table(
    "plans", metadata,
    Column("id", String(36), primary_key=True),
    Column("authority_code", String(6), ForeignKey("authorities.code"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("online_start", UtcDateTime(), nullable=False),
    Column("online_end", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
plan_points = Table(
    "plan_points", metadata,
    Column("plan_id", String(36), ForeignKey("plans.id"), primary_key=True),
    Column("point_code", String(32), ForeignKey("confirmation_points.code"), primary_key=True),
    Column("confirm_start", UtcDateTime(), nullable=False),
    Column("confirm_end", UtcDateTime(), nullable=False),
)

# One row: bumped in every transaction that changes reference data or plans, so each process
# knows when what it remembered of them is out of date (adapters/reference_cache.py).
reference_version = Table(
    "reference_version", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)

# --- wizard drafts and applications (§4, §5) ------------------------------------------------------
drafts = Table(
    "drafts", metadata,
    # One draft per account: it follows the applicant to another device (R-WIZ resumable).
    Column("applicant_id", String(64), primary_key=True),
    Column("data", JSON, nullable=False),  # the wizard state; document numbers inside are sealed
    Column("started_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # Bumped by every write: a step saves only over the revision it read (draft_repository.save).
    Column("revision", Integer, nullable=False, server_default="0"),
    # The plan of a draft not yet submitted (NULL before step 4 and once submitted), written with
    # every save: the reminder before a plan's online window closes (R-APP-9) finds that plan's
    # open drafts through this index instead of reading every draft's JSON.
    Column("open_plan_id", String(36), nullable=True),
    Index("ix_drafts_open_plan", "open_plan_id", "applicant_id",
          postgresql_where=text("open_plan_id IS NOT NULL"), sqlite_where=text("open_plan_id IS NOT NULL")),
)
applications = Table(
    "applications", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_number", String(18), nullable=False, unique=True),
    Column("applicant_id", String(64), nullable=False, index=True),
    Column("idempotency_key", String(100), nullable=False),
    Column("plan_id", String(36), ForeignKey("plans.id"), nullable=False),
    Column("authority_code", String(6), nullable=False),
    Column("point_code", String(32), nullable=False),
    # As typed, normalised (R-WIZ-11): up to 30 letters and digits (a registry number has 17).
    Column("certificate_number", String(CERTIFICATE_NUMBER_LENGTH), nullable=False),
    Column("applicant_name", String(100), nullable=False),
    Column("document_index", String(64), nullable=False),
    Column("document_number_sealed", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),  # sections of the application (no document number)
    Column("certificate_locked", Boolean, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # A retried submit finds the application its first attempt created.
    UniqueConstraint("applicant_id", "idempotency_key", name="uq_applications_idempotency"),
    # Staff lists: keyset pagination over (submitted_at, id) within a scope and status.
    Index("ix_applications_authority_status", "authority_code", "status", "submitted_at", "id"),
    Index("ix_applications_point_status", "point_code", "status", "submitted_at", "id"),
    Index("ix_applications_status", "status", "submitted_at", "id"),
    Index("ix_applications_authority_recent", "authority_code", "submitted_at", "id"),
    Index("ix_applications_point_recent", "point_code", "submitted_at", "id"),
    Index("ix_applications_name", "applicant_name"),
    Index("ix_applications_document_index", "document_index"),
    Index("ix_applications_certificate_number", "certificate_number"),  # the public result check (R-PUB-1)
)
# R-WIZ-9 and R-WIZ-10: a row per live application, unique per (plan, certificate, applicant): one
# applicant holds one live application per certificate in a plan, and another applicant's claim to
# the same number never blocks it (the index on certificate_number finds such conflicts).
# Maintained in the same transaction as the status; a withdrawal deletes it. No foreign key on
# application_id: the key is claimed first in the submit transaction, before the application row
# exists, so that the guard is taken before the number counter.
live_applications = Table(
    "live_applications", metadata,
    Column("plan_id", String(36), nullable=False),
    Column("certificate_number", String(CERTIFICATE_NUMBER_LENGTH), nullable=False),
    Column("applicant_id", String(64), nullable=False),
    Column("application_id", String(36), nullable=False),
    PrimaryKeyConstraint("plan_id", "certificate_number", "applicant_id", name="pk_live_applications"),
    UniqueConstraint("application_id", name="uq_live_applications_application"),
    Index("ix_live_applications_certificate", "certificate_number"),
)
# R-STAFF-8: a certificate number live in applications of two plans. One row per direction:
# (application, the other plan's application), with the other side's authority to name on the case.
# Rewritten for an application in the transaction that submits it or changes its number, plan or
# status (adapters/cross_plan_repository.py).
cross_plan_duplicates = Table(
    "cross_plan_duplicates", metadata,
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False),
    Column("other_application_id", String(36), ForeignKey("applications.id"), nullable=False),
    Column("other_authority_code", String(6), nullable=False),
    Column("other_plan_id", String(36), nullable=False),
    Column("since", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("application_id", "other_application_id", name="pk_cross_plan_duplicates"),
    Index("ix_cross_plan_duplicates_other", "other_application_id"),
)
application_counters = Table(
    "application_counters", metadata,
    Column("year", Integer, primary_key=True),
    Column("authority_code", String(6), primary_key=True),
    Column("last", Integer, nullable=False),
)
status_history = Table(
    "status_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False, index=True),
    Column("from_status", String(32), nullable=False),  # "" for the submission itself
    Column("to_status", String(32), nullable=False),
    Column("action", String(40), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_org", String(32), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("missing_materials", JSON, nullable=False),
    # The staff dashboard's confirmations per day (adapters/dashboard_repository.py).
    Index("ix_status_history_action_at", "action", "at"),
)
messages = Table(
    "messages", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False, index=True),
    Column("author_role", String(32), nullable=False),
    Column("author_id", String(64), nullable=False),
    Column("author_org_code", String(32), nullable=False),
    Column("author_org_name", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
# R-STAFF-4: every staff action, who did it, in which organisation, to what.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_org", String(32), nullable=False),
    Column("action", String(60), nullable=False),
    Column("target_type", String(40), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_log_actor", "actor_org", "at"),
    Index("ix_audit_log_target", "target_type", "target_id"),
)
# Eligibility thresholds per authority (a row overrides the service-wide defaults).
eligibility_thresholds = Table(
    "eligibility_thresholds", metadata,
    Column("authority_code", String(6), primary_key=True),
    Column("settings", JSON, nullable=False),
)
# Issue 19 item 19: an authority's own materials checklist, in order; none: the default one
# (domain/checklist.py).
materials_checklist_items = Table(
    "materials_checklist_items", metadata,
    Column("authority_code", String(6), nullable=False),
    Column("position", Integer, nullable=False),
    Column("code", String(40), nullable=False),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(200), nullable=False),
    PrimaryKeyConstraint("authority_code", "position", name="pk_materials_checklist_items"),
    UniqueConstraint("authority_code", "code", name="uq_materials_checklist_items_code"),
)

# R-APP-9: each applicant is reminded once per closing window. ``window`` is ``online:<plan id>`` or
# ``confirmation:<plan id>:<point code>``.
deadline_reminders = Table(
    "deadline_reminders", metadata,
    Column("window", String(120), nullable=False),
    Column("applicant_id", String(64), nullable=False),
    Column("application_id", String(36), nullable=False),  # "" for a draft
    Column("sent_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("window", "applicant_id"),
)

# --- R-STAFF-6: work claims and bulk decisions ----------------------------------------------------
# One row per claimed application (the primary key is what makes two concurrent claims unable to
# both win: claim_repository.take is one INSERT … ON CONFLICT DO UPDATE … WHERE expired-or-mine).
# A row whose expires_at has passed is no claim; a decision deletes the row.
work_claims = Table(
    "work_claims", metadata,
    Column("application_id", String(36), ForeignKey("applications.id"), primary_key=True),
    Column("staff_id", String(64), nullable=False),
    Column("staff_name", String(100), nullable=False),
    Column("staff_role", String(32), nullable=False),
    Column("staff_org", String(32), nullable=False),
    Column("claimed_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_work_claims_staff", "staff_id"),
)
# A bulk decision's idempotency key (per staff member) and, once done, each item's result: a
# repeated request returns these and changes nothing (results NULL: still running).
bulk_decisions = Table(
    "bulk_decisions", metadata,
    Column("actor_id", String(64), nullable=False),
    Column("idempotency_key", String(100), nullable=False),
    Column("actor_org", String(32), nullable=False),
    Column("action", String(40), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("results", JSON, nullable=True),
    PrimaryKeyConstraint("actor_id", "idempotency_key", name="pk_bulk_decisions"),
)

# R-STAFF-7: broadcasts to the applicants of a plan or a point; the recipients themselves travel in
# BroadcastPosted events (pages of account ids), so the row keeps the filter and the count.
broadcasts = Table(
    "broadcasts", metadata,
    Column("id", String(36), primary_key=True),
    Column("idempotency_key", String(64), nullable=False),
    Column("author_id", String(64), nullable=False),
    Column("author_role", String(32), nullable=False),
    Column("author_org", String(32), nullable=False),
    Column("author_org_name", String(200), nullable=False),
    Column("plan_id", String(36), nullable=True),
    Column("point_code", String(32), nullable=True),
    Column("statuses", JSON, nullable=False),  # status codes; [] for every status
    Column("subject_zh", Text, nullable=False),
    Column("body_zh", Text, nullable=False),
    Column("subject_en", Text, nullable=False),
    Column("body_en", Text, nullable=False),
    Column("recipient_count", Integer, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("author_id", "idempotency_key", name="uq_broadcasts_author_key"),
    Index("ix_broadcasts_org", "author_org", "created_at"),
)
# --- confirmation appointment slots (R-SLOT-1..3) -------------------------------------------------
# ``booked`` counts the bookings held on the slot; the CHECK is the capacity rule itself, and a
# booking raises the counter only with ``UPDATE ... WHERE booked < capacity`` (adapters/slot_repository).
appointment_slots = Table(
    "appointment_slots", metadata,
    Column("id", String(36), primary_key=True),
    Column("point_code", String(32), ForeignKey("confirmation_points.code"), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False),  # OPEN / CANCELLED
    Column("cancel_reason", Text, nullable=False, server_default=""),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("cancelled_at", UtcDateTime(), nullable=True),
    CheckConstraint("capacity > 0", name="ck_appointment_slots_capacity"),
    CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_appointment_slots_booked"),
    CheckConstraint("ends_at > starts_at", name="ck_appointment_slots_range"),
    Index("ix_appointment_slots_point_start", "point_code", "starts_at"),
)
# One booking per account and plan: the draft books it at step 5, the application keeps it.
slot_bookings = Table(
    "slot_bookings", metadata,
    Column("applicant_id", String(64), nullable=False),
    Column("plan_id", String(36), nullable=False),
    Column("slot_id", String(36), ForeignKey("appointment_slots.id"), nullable=False),
    Column("applicant_name", String(100), nullable=False),
    Column("booked_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("applicant_id", "plan_id", name="pk_slot_bookings"),
    Index("ix_slot_bookings_slot", "slot_id"),
)
point_slot_settings = Table(
    "point_slot_settings", metadata,
    Column("point_code", String(32), ForeignKey("confirmation_points.code"), primary_key=True),
    Column("cutoff_hours", Integer, nullable=False),
)
