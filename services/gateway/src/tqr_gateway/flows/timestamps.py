"""Timestamps of the services' replies as Python datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def instant(stamp: Timestamp) -> datetime | None:
    """An aware UTC datetime, or None for an unset timestamp."""
    if not stamp.seconds and not stamp.nanos:
        return None
    return stamp.ToDatetime(tzinfo=UTC)
