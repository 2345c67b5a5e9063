"""Confirmation appointment slots (R-SLOT-1..3).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-21

- ``appointment_slots``: a point's slot with its capacity and a counter of bookings held on it.
  ``CHECK (booked >= 0 AND booked <= capacity)`` is the capacity rule in the database itself: a
  booking raises the counter with one conditional UPDATE (``... WHERE booked < capacity``), which
  PostgreSQL serialises on the row, so concurrent bookings never pass the capacity.
- ``slot_bookings``: one booking per account and plan (its key); the slot it holds.
- ``point_slot_settings``: a point's cut-off before its slots (hours); no row: the service default.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from servicekit.types import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointment_slots",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("point_code", sa.String(32), sa.ForeignKey("confirmation_points.code"), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("booked", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cancel_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("capacity > 0", name="ck_appointment_slots_capacity"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_appointment_slots_booked"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_appointment_slots_range"),
    )
    op.create_index("ix_appointment_slots_point_start", "appointment_slots", ["point_code", "starts_at"])
    op.create_table(
        "slot_bookings",
        sa.Column("applicant_id", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(36), nullable=False),
        sa.Column("slot_id", sa.String(36), sa.ForeignKey("appointment_slots.id"), nullable=False),
        sa.Column("applicant_name", sa.String(100), nullable=False),
        sa.Column("booked_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("applicant_id", "plan_id", name="pk_slot_bookings"),
    )
    op.create_index("ix_slot_bookings_slot", "slot_bookings", ["slot_id"])
    op.create_table(
        "point_slot_settings",
        sa.Column("point_code", sa.String(32), sa.ForeignKey("confirmation_points.code"), primary_key=True),
        sa.Column("cutoff_hours", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("point_slot_settings")
    op.drop_index("ix_slot_bookings_slot", table_name="slot_bookings")
    op.drop_table("slot_bookings")
    op.drop_index("ix_appointment_slots_point_start", table_name="appointment_slots")
    op.drop_table("appointment_slots")
