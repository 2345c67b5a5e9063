"""Tables of the documents service's own database."""

from __future__ import annotations

from servicekit.tables import inbox_table, outbox_table
from sqlalchemy import MetaData

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
