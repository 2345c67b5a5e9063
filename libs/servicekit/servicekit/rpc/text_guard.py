"""Every text field of every request, checked before a handler runs (``servicekit.text``).

A service keeps what it is sent: a NUL in a school name is a 500 from PostgreSQL, a U+202E in a
message shows the staff something else than was stored. Rather than trusting every handler to
remember, the server's interceptor refuses a request carrying such characters anywhere (every
string, however deep, in lists and maps too) with INVALID_ARGUMENT naming the fields; nothing runs,
nothing is stored.

This guard cannot know which fields are single-line, so it lets line breaks and tabs through; the
code that reads a single-line field refuses them there (``servicekit.text.text_problem``).

Field names are the request's field paths (``materials.work_history[0].school``), except that a
message chosen in a ``oneof`` is named from inside: the one-of member says which kind of request
this is (which wizard step, which section of an edit), the names inside are what the service's own
checks call the fields too.
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from servicekit import text
from servicekit.errors import FieldProblem, InvalidInput

MAX_PROBLEMS = 20


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _check_string(path: str, value: str, found: list[FieldProblem]) -> None:
    problem = text.text_problem(path, value, multiline=True)
    if problem is not None:
        found.append(problem)


def _walk(message: Message, prefix: str, found: list[FieldProblem]) -> None:
    for field, value in message.ListFields():
        if len(found) >= MAX_PROBLEMS:
            return
        kind = field.message_type if field.type == FieldDescriptor.TYPE_MESSAGE else None
        is_message = kind is not None
        chosen_in_oneof = is_message and field.containing_oneof is not None
        path = prefix if chosen_in_oneof else _join(prefix, field.name)
        if kind is not None and kind.GetOptions().map_entry:
            value_field = kind.fields_by_name["value"]
            for key, item in value.items():
                if isinstance(key, str):
                    _check_string(f"{path}[{key!r}]", key, found)
                if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    _walk(item, f"{path}[{key!r}]", found)
                elif isinstance(item, str):
                    _check_string(f"{path}[{key!r}]", item, found)
        elif field.is_repeated:
            for index, item in enumerate(value):
                if is_message:
                    _walk(item, f"{path}[{index}]", found)
                elif isinstance(item, str):
                    _check_string(f"{path}[{index}]", item, found)
        elif is_message:
            _walk(value, path, found)
        elif isinstance(value, str):
            _check_string(path, value, found)


def unsafe_text_in(message: Message) -> list[FieldProblem]:
    """The fields of ``message`` whose text may not be stored (at most ``MAX_PROBLEMS``)."""
    found: list[FieldProblem] = []
    _walk(message, "", found)
    return found[:MAX_PROBLEMS]


def refuse_unsafe_text(message: object) -> None:
    """Raise InvalidInput when any text field of the request carries characters text may not hold."""
    if not isinstance(message, Message):
        return
    problems = unsafe_text_in(message)
    if problems:
        raise InvalidInput(problems)
