"""``message_to_dict`` answers exactly as json_format.MessageToDict, on every message type of the
contracts, filled at random: set and unset fields, oneofs, repeated and nested messages, int64,
bytes, enums (unknown numbers too), floats including NaN and infinities, timestamps, text in CJK."""

from __future__ import annotations

import importlib
import pkgutil
import random
import string

import pytest
import tqr
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from google.protobuf.timestamp_pb2 import Timestamp
from google.protobuf.wrappers_pb2 import StringValue
from tqr_gateway.api.proto_dicts import message_to_dict


def contract_messages() -> list[type[Message]]:
    found = []
    for module in pkgutil.walk_packages(tqr.__path__, "tqr."):
        if module.name.endswith("_pb2"):
            for descriptor in importlib.import_module(module.name).DESCRIPTOR.message_types_by_name.values():
                found.append(GetMessageClass(descriptor))
    return found


MESSAGES = contract_messages()
F = FieldDescriptor
TEXT = string.ascii_letters + string.digits + " -_@.教师资格定期注册北京市朝阳区"


def scalar(field: FieldDescriptor, rng: random.Random):  # type: ignore[no-untyped-def]
    kind = field.type
    if kind == F.TYPE_ENUM:
        numbers = [v.number for v in field.enum_type.values]
        return rng.choice([*numbers, 97]) if not field.enum_type.is_closed else rng.choice(numbers)
    if kind in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
        return rng.randint(-2**62, 2**62)
    if kind in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return rng.randint(0, 2**63)
    if kind in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
        return rng.randint(-2**31, 2**31 - 1)
    if kind in (F.TYPE_UINT32, F.TYPE_FIXED32):
        return rng.randint(0, 2**32 - 1)
    if kind in (F.TYPE_FLOAT, F.TYPE_DOUBLE):
        return rng.choice([0.0, 0.1, -2.5, 1e10, 3.3333, float("nan"), float("inf"), -float("inf")])
    if kind == F.TYPE_BOOL:
        return rng.random() < 0.5
    if kind == F.TYPE_BYTES:
        return rng.randbytes(rng.randint(0, 12))
    return "".join(rng.choice(TEXT) for _ in range(rng.randint(0, 10)))


def fill(message: Message, rng: random.Random, depth: int = 0) -> Message:
    for field in message.DESCRIPTOR.fields:
        if rng.random() < 0.3:
            continue  # left at its default (or unset)
        value = getattr(message, field.name)
        if field.message_type is not None and field.message_type.full_name == Timestamp.DESCRIPTOR.full_name:
            if field.is_repeated:
                for _ in range(rng.randint(0, 2)):
                    value.add().FromSeconds(rng.randint(0, 2**33))
            else:
                value.FromSeconds(rng.randint(0, 2**33))
                value.nanos = rng.choice([0, 500_000_000, 123_456_789])
        elif field.message_type is not None and field.message_type.full_name.startswith("google.protobuf."):
            continue  # an Any needs a real type URL; json_format reads these types either way
        elif field.message_type is not None and field.message_type.GetOptions().map_entry:
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            for _ in range(rng.randint(0, 2)):
                if value_field.message_type is None:
                    value[scalar(key_field, rng)] = scalar(value_field, rng)
        elif field.message_type is not None:
            if depth >= 4:
                continue
            if field.is_repeated:
                for _ in range(rng.randint(0, 3)):
                    fill(value.add(), rng, depth + 1)
            else:
                value.SetInParent()
                fill(value, rng, depth + 1)
        elif field.is_repeated:
            value.extend(scalar(field, rng) for _ in range(rng.randint(0, 3)))
        else:
            setattr(message, field.name, scalar(field, rng))
    return message


def json_format_dict(message: Message) -> dict:  # type: ignore[type-arg]
    return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def test_the_contracts_have_messages_to_compare() -> None:
    names = {m.DESCRIPTOR.full_name for m in MESSAGES}
    assert "tqr.application.v1.DraftResponse" in names and len(names) > 100


@pytest.mark.parametrize("message_class", MESSAGES, ids=lambda m: m.DESCRIPTOR.full_name)
def test_every_contract_message_reads_as_json_format_reads_it(message_class: type[Message]) -> None:
    rng = random.Random(message_class.DESCRIPTOR.full_name)
    assert message_to_dict(message_class()) == json_format_dict(message_class())  # every default
    for _ in range(25):
        message = fill(message_class(), rng)
        assert message_to_dict(message) == json_format_dict(message), message


def test_well_known_types_other_than_timestamps_are_left_to_json_format() -> None:
    assert message_to_dict(StringValue(value="学")) == json_format_dict(StringValue(value="学"))
