"""``json_of(Model, message)`` writes exactly the bytes ``from_proto(Model, message).model_dump_json()``
writes, on random messages (the generator of test_proto_dicts), and a wizard step's draft takes the
short path rather than the model's."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from google.protobuf.message import Message
from pydantic import BaseModel, Field, ValidationError
from tqr.application.v1 import applications_pb2 as apps
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wiz
from tqr_gateway.api import application_models as m
from tqr_gateway.api import proto_json
from tqr_gateway.api.proto_json import json_of

from services.gateway.tests.unit.test_proto_dicts import fill

# Every model the applications API builds from a message, with that message.
PAIRS = [
    (m.DraftResponse, wiz.DraftResponse), (m.EligibilityReport, wiz.EligibilityReport),
    (m.SubmitResult, wiz.SubmitApplicationResponse), (m.Application, views.ApplicationView),
    (m.EditResult, apps.EditApplicationResponse), (m.Messages, apps.ListMessagesResponse),
]


def model_json(model: type[BaseModel], message: Message) -> bytes | None:
    """The model's bytes; None when the model refuses the message (an enum number it does not know)."""
    try:
        return m.from_proto(model, message).model_dump_json().encode()
    except ValidationError:
        return None


def same_answer(model: type[BaseModel], message: Message) -> bool:
    expected = model_json(model, message)
    if expected is None:
        with pytest.raises(ValidationError):
            json_of(model, message)
        return True
    return json_of(model, message) == expected


@pytest.mark.parametrize(("model", "message_class"), PAIRS, ids=lambda p: getattr(p, "__name__", ""))
def test_the_bytes_are_the_models_on_random_messages(model: type[BaseModel], message_class: type[Message]) -> None:
    rng = random.Random(model.__name__)
    assert same_answer(model, message_class())
    for _ in range(200):
        message = fill(message_class(), rng)
        assert same_answer(model, message), message


def test_a_wizard_steps_draft_is_written_without_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_model(*args: object) -> None:
        raise AssertionError("the draft went through the model")

    monkeypatch.setattr(proto_json, "message_to_dict", no_model)
    rng = random.Random(7)
    for _ in range(50):
        message = fill(wiz.DraftResponse(), rng)
        message.draft.must_read_seconds_left = 2.5  # fill may choose NaN, which the model's path writes
        as_a_service_sends_it(message, rng)
        json_of(m.DraftResponse, message)


def as_a_service_sends_it(message: Message, rng: random.Random) -> None:
    """Every enum a value its contract names, every time in whole microseconds (the random filler
    chooses unknown numbers and nanoseconds, which the model's path handles its own way)."""
    for field, value in message.ListFields():
        if field.enum_type is not None and not field.is_repeated:
            setattr(message, field.name, rng.choice([v.number for v in field.enum_type.values]))
        elif field.message_type is not None and field.message_type.full_name == "google.protobuf.Timestamp":
            for stamp in (value if field.is_repeated else [value]):
                stamp.nanos = 0
        elif field.message_type is not None:
            for nested in (value if field.is_repeated else [value]):
                as_a_service_sends_it(nested, rng)


class Renamed(BaseModel):
    code: str = Field(default="", serialization_alias="kind")


class Converted(BaseModel):
    code: int = 0  # the message's field is text: the model converts it


@pytest.mark.parametrize("model", [Renamed, Converted])
def test_a_model_that_does_more_than_restate_the_message_writes_itself(model: type[BaseModel]) -> None:
    message = wiz.Warning(code="7")
    assert json_of(model, message) == model.model_validate({"code": "7"}).model_dump_json().encode()


def test_timestamps_are_written_as_the_model_writes_datetimes() -> None:
    class Shown(BaseModel):
        draft: Inner = Field(default_factory=lambda: Inner())

    class Inner(BaseModel):
        must_read_shown_at: datetime | None = None

    message = wiz.DraftResponse()
    message.draft.must_read_shown_at.FromSeconds(1_700_000_000)
    assert json_of(Inner, message.draft) == b'{"must_read_shown_at":"2023-11-14T22:13:20Z"}'
