"""What a template sees of an event: the fields of the decoded protobuf message, read through its
descriptor, so this service keeps no list of any event's fields.

- An enum shows its value's name without the enum's own prefix (``CODE_CHANNEL_SMS`` → ``SMS``,
  ``ROLE_POINT_STAFF`` → ``POINT_STAFF``), so the labels in ``wording`` are keyed by the codes people
  have always seen; value 0 (unset) shows as "".
- A ``google.protobuf.Timestamp`` is an aware UTC ``datetime``; unset, it is None.
- Other messages are nested views (None when unset); repeated fields are lists, maps dicts.
- A field marked ``deprecated`` whose name extends another field's (``changed_at_iso`` beside
  ``changed_at``, ``to_status_name`` beside ``to_status``) is that field's older spelling: events wait
  in outboxes and queues, so when the newer field is unset the view shows the older one under the
  newer name, and the older name is not shown at all.
- Fields ending in ``_sealed`` are ciphertexts meant for this service's code, never for a message;
  they are left out, so no template can print one (personal data reaches templates only in the
  masked forms the publishing service put in the event, R-PRIV-1).
"""

from __future__ import annotations

from datetime import UTC
from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import vocabulary

SEALED_SUFFIX = "_sealed"
_TIMESTAMP = Timestamp.DESCRIPTOR.full_name


def view_of(message: Message) -> dict[str, Any]:
    """Every shown field of ``message`` by name, in the forms described above."""
    shown, older = _fields_of(message.DESCRIPTOR)
    view = {field.name: _value(message, field) for field in shown}
    for old, newer in older.items():
        if view[newer] in (None, ""):
            view[newer] = _value(message, old)
    return view


def shown_field_names(descriptor: Descriptor) -> frozenset[str]:
    """The names a template may use for an event of this type."""
    return frozenset(field.name for field in _fields_of(descriptor)[0])


def enum_name(message: Message, field_name: str) -> str:
    """One enum field of ``message`` as the view shows it (with its older spelling's fallback)."""
    value = view_of(message)[field_name]
    return value if isinstance(value, str) else ""


def _older_spellings(descriptor: Descriptor) -> dict[FieldDescriptor, str]:
    """Each deprecated field that an event written before its replacement still carries, mapped to
    the name of the field replacing it (the longest other field name it extends)."""
    current = [field.name for field in descriptor.fields if not field.GetOptions().deprecated]
    found: dict[FieldDescriptor, str] = {}
    for field in descriptor.fields:
        if not field.GetOptions().deprecated:
            continue
        extended = [name for name in current if field.name.startswith(f"{name}_")]
        if extended:
            found[field] = max(extended, key=len)
    return found


@cache
def _fields_of(descriptor: Descriptor) -> tuple[list[FieldDescriptor], dict[FieldDescriptor, str]]:
    """The fields shown, and the older spellings with the fields replacing them; once per type."""
    older = _older_spellings(descriptor)
    shown = [f for f in descriptor.fields if f not in older and not f.name.endswith(SEALED_SUFFIX)]
    return shown, older


def _value(message: Message, field: FieldDescriptor) -> Any:
    raw = getattr(message, field.name)
    entry = field.message_type
    if entry is not None and entry.GetOptions().map_entry:
        value_field = entry.fields_by_name["value"]
        return {key: _single(value_field, item) for key, item in raw.items()}
    if field.is_repeated:
        return [_single(field, item) for item in raw]
    if entry is not None and not message.HasField(field.name):
        return None
    return _single(field, raw)


def _single(field: FieldDescriptor, raw: Any) -> Any:
    if field.enum_type is not None:
        return _enum_value_name(field.enum_type, int(raw))
    if field.message_type is not None:
        if field.message_type.full_name == _TIMESTAMP:
            return raw.ToDatetime(tzinfo=UTC)
        return view_of(raw)
    return raw


def _enum_value_name(enum: EnumDescriptor, number: int) -> str:
    if number == 0:
        return ""
    value = enum.values_by_number.get(number)
    if value is None:
        return str(number)  # a value newer than these contracts
    return value.name.removeprefix(vocabulary.prefix_of(enum.name))
