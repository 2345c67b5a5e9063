"""The outbox and inbox tables, added to each service's own metadata and migrations."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

from servicekit.types import UtcDateTime


def outbox_table(metadata: MetaData) -> Table:
    """Events written in the same transaction as the state change they describe."""
    return Table(
        "outbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("aggregate_id", String(100), nullable=False),
        Column("envelope", LargeBinary, nullable=False),  # a serialised EventEnvelope
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_unpublished", "published_at", "created_at"),
    )


def inbox_table(metadata: MetaData) -> Table:
    """Ids of the events a consumer has applied, recorded in the same transaction as the effect."""
    return Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("handled_at", UtcDateTime(), nullable=False),
    )
