"""Building and reading the EventEnvelope every event travels in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypeVar

from google.protobuf.message import DecodeError, Message
from tqr.common.v1.envelope_pb2 import EventEnvelope

M = TypeVar("M", bound=Message)


class MalformedEvent(Exception):
    """The bytes are not an envelope we can read; the message goes to the dead-letter queue."""


def build(
    message: Message,
    *,
    producer: str,
    aggregate_id: str,
    correlation_id: str,
    occurred_at: datetime,
    schema_version: int = 1,
) -> EventEnvelope:
    envelope = EventEnvelope(
        event_id=str(uuid.uuid4()),
        type=message.DESCRIPTOR.full_name,
        producer=producer,
        aggregate_id=aggregate_id,
        correlation_id=correlation_id,
        schema_version=schema_version,
    )
    envelope.occurred_at.FromDatetime(occurred_at)
    envelope.payload.Pack(message)
    return envelope


def parse(body: bytes) -> EventEnvelope:
    envelope = EventEnvelope()
    try:
        envelope.ParseFromString(body)
    except DecodeError as exc:
        raise MalformedEvent("body is not an EventEnvelope") from exc
    if not envelope.event_id or not envelope.type or not envelope.payload.type_url:
        raise MalformedEvent("envelope lacks an id, a type or a payload")
    if envelope.payload.TypeName() != envelope.type:
        raise MalformedEvent("envelope type and payload type disagree")
    return envelope


def unpack(envelope: EventEnvelope, message_class: type[M]) -> M:
    message = message_class()
    if not envelope.payload.Unpack(message):
        raise MalformedEvent(f"payload is not a {message_class.DESCRIPTOR.full_name}")
    return message
