"""Tables of the notification service's own database."""

from __future__ import annotations

from sqlalchemy import MetaData

from servicekit.tables import inbox_table, outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
