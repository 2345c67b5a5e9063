"""An event as the templates read it: field name → value, whichever version of the producer wrote it.

Events wait in outboxes and queues across a deploy, so one written by the previous version of a
producer must still render. When a field became typed (a Timestamp instead of an ISO string, an enum
instead of a status name), the producer kept the old field readable, marked deprecated and renamed
with the suffix ``_iso`` or ``_name`` (protos/tqr/application/v1/events.proto). Here the typed field
wins and the deprecated one fills in only when the typed one is unset; the templates see one name.

MessageToDict writes a Timestamp as RFC 3339 and an enum as its name, which the templates' date
filters and the status wording read exactly as they read the old strings.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

LEGACY_SUFFIXES = ("_iso", "_name")


def payload_of(event: Message) -> dict[str, Any]:
    payload: dict[str, Any] = MessageToDict(event, preserving_proto_field_name=True)
    for field in event.DESCRIPTOR.fields:
        successor = _successor(field.name)
        if not field.GetOptions().deprecated or successor is None:
            continue
        legacy = payload.pop(field.name, None)
        if legacy is not None and successor not in payload:
            payload[successor] = legacy
    return payload


def _successor(name: str) -> str | None:
    for suffix in LEGACY_SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return None
