"""An event as the templates read it: its fields by name, with replaced fields read back.

Events wait in outboxes and queues across releases, so an event written by the previous release
must still render. When a field was replaced by a better-typed one, the old one stays in the proto,
deprecated and named ``<field>_iso`` (identity's ``changed_at`` was an ISO string and is now a
Timestamp): the payload prefers the new field and falls back to the old string when the new one is
unset, and the templates only ever see ``<field>``.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

LEGACY_SUFFIX = "_iso"


def payload_of(event: Message) -> dict[str, Any]:
    payload: dict[str, Any] = MessageToDict(event, preserving_proto_field_name=True)
    for field in event.DESCRIPTOR.fields:
        if not (field.name.endswith(LEGACY_SUFFIX) and field.GetOptions().deprecated):
            continue
        old = payload.pop(field.name, "")
        replacement = field.name.removesuffix(LEGACY_SUFFIX)
        if old and not payload.get(replacement):
            payload[replacement] = old
    return payload
