"""An API model's JSON straight from the protobuf message it restates, without the model in between.

``from_proto(Model, message).model_dump_json()`` turns the message into a dict, validates the dict
into the model and dumps the model: on a wizard step (a 3 KB draft) that round trip was a fifth of
the gateway's own work. Where every field of the model simply restates a field of the message (same
name, a plain type), ``json_of`` reads the message in the model's field order and hands the values
to pydantic's JSON writer once, so the bytes are those the model would have written (a test compares
the two on random messages). A model that does more than restate (another type, an alias, a field
the message lacks), or a value it would have refused, takes the model's own path.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

import annotated_types
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel
from pydantic_core import PydanticUndefined, to_json

from tqr_gateway.api.proto_dicts import message_to_dict

M = TypeVar("M", bound=BaseModel)
Read = Callable[[Any], Any]

_TIMESTAMP = "google.protobuf.Timestamp"
_INT32_RANGE = {FieldDescriptor.CPPTYPE_INT32: (-2**31, 2**31 - 1), FieldDescriptor.CPPTYPE_UINT32: (0, 2**32 - 1)}
_FLOATS = {FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT}


class _Unshaped(Exception):
    """The model does more than restate the message, or would not take this value as it is."""


def json_of(model: type[BaseModel], message: Message) -> bytes:
    """Exactly ``from_proto(model, message).model_dump_json()``, encoded."""
    try:
        return to_json(_shaper(model, message.DESCRIPTOR)(message))
    except _Unshaped:
        return model.model_validate(message_to_dict(message)).model_dump_json().encode()


@cache
def _shaper(model: type[BaseModel], descriptor: Descriptor) -> Read:
    """The model's fields in its order, each read from the message; for a model that is not a plain
    restatement of the message, a function that always refuses (cached like the others)."""
    try:
        if _does_more_than_restate(model):
            _refuse()
        readers = []
        before = _before_validators(model)
        for name, info in model.model_fields.items():
            field = descriptor.fields_by_name.get(name)
            if info.alias or info.serialization_alias or field is None or not _holds_every_value(info.metadata, field):
                _refuse()
            readers.append((name, _field_reader(info.annotation, field, info.default, before.get(name))))
    except _Unshaped:
        return _always_refuse

    def shape(message: Message) -> dict[str, Any]:
        return {name: read(message) for name, read in readers}

    return shape


def _field_reader(annotation: Any, field: FieldDescriptor, default: Any, before: Read | None = None) -> Read:
    name = field.name
    if before is not None:
        # The model's own "before" validator turns the message's value into the field's (vocabulary:
        # an enum's name into the letters the API has always said); the result must already fit.
        if field.is_repeated or field.has_presence or annotation is not str:
            _refuse()
        read = _value_reader(annotation, field)
        return lambda message: _text(before(read(getattr(message, name))))
    if field.is_repeated:
        item = typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else _refuse()
        one = _value_reader(item, field)
        return lambda message: [one(v) for v in getattr(message, name)]
    one = _value_reader(annotation, field)
    if field.has_presence:
        if default is PydanticUndefined:
            _refuse()
        # An unset field is left out of the dict, so the model's default stands.
        return lambda message: one(getattr(message, name)) if message.HasField(name) else default
    return lambda message: one(getattr(message, name))


def _value_reader(annotation: Any, field: FieldDescriptor) -> Read:
    nested = field.message_type
    if nested is not None:
        if nested.full_name == _TIMESTAMP and _optional_datetime(annotation):
            return _datetime
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) \
                and not nested.full_name.startswith("google.protobuf."):
            return lambda message: _shaper(annotation, nested)(message)  # looked up late: types may nest
        _refuse()
    kind = field.cpp_type
    if field.enum_type is not None:
        if annotation is not str:
            _refuse()
        names = {value.number: value.name for value in field.enum_type.values}
        return lambda number: names[number] if number in names else _refuse()
    if annotation is str and field.type == FieldDescriptor.TYPE_STRING:
        return _same
    if annotation is bool and kind == FieldDescriptor.CPPTYPE_BOOL:
        return _same
    if annotation is int and kind in _INT32_RANGE:
        return _same
    if annotation is float and kind in _FLOATS:
        return _finite
    _refuse()


def _holds_every_value(constraints: list[Any], field: FieldDescriptor) -> bool:
    """No constraints, or only bounds that every value of the field's type keeps (``fields.Int32``)."""
    if not constraints:
        return True
    if field.cpp_type not in _INT32_RANGE:
        return False
    low, high = _INT32_RANGE[field.cpp_type]
    for constraint in constraints:
        if isinstance(constraint, annotated_types.Ge) and constraint.ge <= low:  # type: ignore[operator]
            continue
        if isinstance(constraint, annotated_types.Le) and constraint.le >= high:  # type: ignore[operator]
            continue
        return False
    return True


def _optional_datetime(annotation: Any) -> bool:
    return isinstance(annotation, types.UnionType) and set(typing.get_args(annotation)) == {datetime, type(None)}


def _datetime(timestamp: Any) -> datetime:
    if timestamp.nanos % 1000:
        _refuse()  # the model reads nanoseconds from the text as it likes; let it
    return timestamp.ToDatetime(tzinfo=UTC)  # type: ignore[no-any-return]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        _refuse()  # the dict carries "NaN" / "Infinity" as text, which the model reads back
    return value


def _same(value: Any) -> Any:
    return value


def _does_more_than_restate(model: type[BaseModel]) -> bool:
    decorators = model.__pydantic_decorators__
    return bool(decorators.field_serializers or decorators.model_serializers or decorators.computed_fields
                or decorators.model_validators or decorators.validators
                or model.model_config.get("ser_json_inf_nan", "null") != "null")


def _before_validators(model: type[BaseModel]) -> dict[str, Read]:
    """Field name → the model's "before" validator of that one field, a function of the value alone."""
    found: dict[str, Read] = {}
    for decorator in model.__pydantic_decorators__.field_validators.values():
        function = getattr(model, decorator.cls_var_name)
        takes_value_only = len(inspect.signature(function).parameters) == 1
        if decorator.info.mode != "before" or len(decorator.info.fields) != 1 or not takes_value_only \
                or decorator.info.fields[0] in found:
            _refuse()
        found[decorator.info.fields[0]] = function
    return found


def _text(value: Any) -> str:
    if type(value) is not str:
        _refuse()  # the validator left something the model would convert or refuse
    return value


def _refuse() -> typing.NoReturn:
    raise _Unshaped


def _always_refuse(message: Message) -> typing.NoReturn:
    raise _Unshaped
