"""API response models derived from the protobuf messages they restate.

A response of the applications API says what a service's message says, field for field and under
the same names; writing those models by hand meant every new field was declared twice and the two
could drift apart. ``restating(Message)`` builds the pydantic model from the message's descriptor
instead, so the OpenAPI document names every field the message has and nothing the message lacks.

The API differs from the message in a few deliberate ways, each stated where the model is made:
fields it leaves out (``omit``: internal ids, staff-only flags, raw bytes) and nested messages it
shows through a hand-written model (``using``: the certificate, whose gender the API spells
``M`` / ``F``; the step-7 materials, which are also a request body).

Field types follow the JSON the gateway has always written (``json_format`` with the proto field
names): text, numbers and booleans as they are, a Timestamp as an optional date-time, an enum as its
value's name with the unset value as ``""``, a repeated field as a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel, Field, create_model, field_validator

_TIMESTAMP = "google.protobuf.Timestamp"
_PLAIN: Mapping[int, tuple[Any, Any]] = {
    FieldDescriptor.CPPTYPE_STRING: (str, ""),
    FieldDescriptor.CPPTYPE_BOOL: (bool, False),
    FieldDescriptor.CPPTYPE_INT32: (int, 0),
    FieldDescriptor.CPPTYPE_UINT32: (int, 0),
    FieldDescriptor.CPPTYPE_DOUBLE: (float, 0.0),
    FieldDescriptor.CPPTYPE_FLOAT: (float, 0.0),
}


def _unspecified_as_empty(value: object) -> object:
    """An enum's zero value names nothing: the API says "" as it always has."""
    return "" if isinstance(value, str) and value.endswith("_UNSPECIFIED") else value


def restating(
    message: type[Message],
    *,
    name: str,
    omit: Iterable[str] = (),
    using: Mapping[str, type[BaseModel]] | None = None,
    describe: Mapping[str, str] | None = None,
) -> type[BaseModel]:
    """The model of ``message``: its fields in its order, less ``omit``; a nested message whose full
    name is in ``using`` is shown by that model, any other by a model derived the same way;
    ``describe`` gives fields their description in the OpenAPI document."""
    descriptor: Descriptor = message.DESCRIPTOR  # type: ignore[assignment]  # upb or pure-Python descriptor
    return _model_of(descriptor, name, frozenset(omit), dict(using or {}), dict(describe or {}))


def _model_of(descriptor: Descriptor, name: str, omit: frozenset[str], using: dict[str, type[BaseModel]],
              describe: dict[str, str]) -> type[BaseModel]:
    unknown = (omit | set(describe)) - set(descriptor.fields_by_name)
    if unknown:
        raise ValueError(f"{descriptor.full_name} has no field {sorted(unknown)}")
    fields = {}
    validators = {}
    for field in descriptor.fields:
        if field.name not in omit:
            annotation, default = _field(field, using)
            fields[field.name] = (annotation, Field(default=default, description=describe.get(field.name)))
            if field.enum_type is not None and not field.is_repeated:
                validators[f"_{field.name}_unset"] = _unspecified_as_empty_of(field.name)
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        name, __module__=__name__, __validators__=validators, **fields)
    return model


def _field(field: FieldDescriptor, using: dict[str, type[BaseModel]]) -> tuple[Any, Any]:
    annotation, default = _one(field, using)
    if field.is_repeated:
        return list[annotation], []  # type: ignore[valid-type]
    return annotation, default


def _unspecified_as_empty_of(name: str) -> Any:
    """A "before" validator of one enum field: its unset value's name becomes ``""``. A validator of
    the model (not a type annotation), so ``proto_json`` can still write the model straight from the
    message (it applies a one-field "before" validator itself)."""

    def validate(cls: type[BaseModel], value: object) -> object:
        return _unspecified_as_empty(value)

    return field_validator(name, mode="before")(validate)


def _one(field: FieldDescriptor, using: dict[str, type[BaseModel]]) -> tuple[Any, Any]:
    nested = field.message_type
    if nested is not None:
        if nested.full_name == _TIMESTAMP:
            return datetime | None, None
        if nested.GetOptions().map_entry or nested.full_name.startswith("google.protobuf."):
            raise TypeError(f"{field.full_name}: no API shape for {nested.full_name}")
        model = using.get(nested.full_name) or _model_of(nested, nested.name, frozenset(), using, {})
        using.setdefault(nested.full_name, model)  # one model per message type, however often it nests
        return model, model()
    if field.enum_type is not None:
        return str, ""  # its value's name; the model's validator turns the unset value's into ""
    if field.cpp_type in _PLAIN and field.type != FieldDescriptor.TYPE_BYTES:
        return _PLAIN[field.cpp_type]
    raise TypeError(f"{field.full_name}: no API shape for its type (leave it out with omit=)")
