"""Tables of the notification service's own database.

- ``recipients``: the service's own directory (account id → email, mobile), built from identity's
  events so that sending never calls the identity service; contacts are sealed at rest.
- ``deliveries``: one row per (event, channel, recipient) — per (broadcast, channel, recipient) for
  a broadcast, whatever page or event brought it —, UNIQUE on ``idempotency_key`` and written
  in the event handler's transaction; the dispatcher claims queued rows, sends and marks them.
- ``inbox_messages``: the in-app inbox, written in the same transaction as its delivery row.
"""

from __future__ import annotations

from servicekit.tables import inbox_table, outbox_table
from servicekit.types import UtcDateTime
from sqlalchemy import Column, Index, Integer, MetaData, SmallInteger, String, Table, Text

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

recipients = Table(
    "recipients",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("email_sealed", Text, nullable=True),
    Column("mobile_sealed", Text, nullable=True),
    # When the contact details were true (the event's occurred_at): an older event arriving late
    # must not overwrite a newer change.
    Column("as_of", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", String(36), primary_key=True),
    # "<event id>:<channel>:<recipient id>": the same person never gets the same event twice.
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("channel", String(20), nullable=False),
    # An account id, or "contact:<HMAC of the destination>" for codes sent to a bare contact.
    Column("recipient_id", String(100), nullable=False),
    # Set for codes (the destination comes with the event); otherwise looked up at send time.
    Column("destination_sealed", Text, nullable=True),
    Column("content_sealed", Text, nullable=False),  # the rendered message, JSON, sealed
    Column("status", String(10), nullable=False),  # QUEUED | SENT | FAILED | HELD
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("claim_token", String(36), nullable=True),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("provider_answer", Text, nullable=True),
    Column("provider_message_id", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    # 0: codes and every message about one person's own account or application; 1: broadcasts
    # (R-STAFF-7), claimed only after every due 0 and at a paced rate (service_layer/dispatcher).
    Column("priority", SmallInteger, nullable=False, default=0, server_default="0"),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
    Index("ix_deliveries_due_priority", "status", "priority", "next_attempt_at"),
    Index("ix_deliveries_recipient", "recipient_id", "created_at"),
)

inbox_messages = Table(
    "inbox_messages",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # newest-first paging
    Column("message_id", String(36), nullable=False, unique=True),
    Column("recipient_id", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(200), nullable=False),
    # Chinese; rows written before the English columns hold both languages here.
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("title_en", Text, nullable=True),
    Column("body_en", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("read_at", UtcDateTime(), nullable=True),
    Index("ix_inbox_messages_recipient", "recipient_id", "seq"),
)
