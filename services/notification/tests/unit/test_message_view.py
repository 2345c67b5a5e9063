"""What templates see of an event, read from its proto descriptor; here on an event type made for the
test, shaped as the contracts evolve: a Timestamp and an enum beside the older string fields they
replace (kept, deprecated, because events written before them still wait in outboxes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from google.protobuf.message import Message
from tqr.identity.v1 import events_pb2 as identity_events
from tqr_notification.domain.message_view import enum_name, shown_field_names, view_of
from tqr_notification.domain.rendering import FILTERS

FieldProto = descriptor_pb2.FieldDescriptorProto


def _evolved_event_type() -> type[Message]:
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    file = descriptor_pb2.FileDescriptorProto(
        name="evolved.proto", package="evolved.v1", syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"],
    )
    status = file.enum_type.add(name="ReviewStatus")
    for number, name in enumerate(["REVIEW_STATUS_UNSPECIFIED", "REVIEW_STATUS_APPROVED", "REJECTED"]):
        status.value.add(name=name, number=number)
    message = file.message_type.add(name="Changed")

    def field(name: str, number: int, kind: int, **more: object) -> None:
        added = message.field.add(name=name, number=number, type=kind, label=FieldProto.LABEL_OPTIONAL, **more)
        if name.endswith(("_iso", "_name")):
            added.options.deprecated = True

    field("account_id", 1, FieldProto.TYPE_STRING)
    field("changed_at_iso", 2, FieldProto.TYPE_STRING)
    field("status_name", 3, FieldProto.TYPE_STRING)
    field("email_sealed", 4, FieldProto.TYPE_STRING)
    field("changed_at", 5, FieldProto.TYPE_MESSAGE, type_name=".google.protobuf.Timestamp")
    field("status", 6, FieldProto.TYPE_ENUM, type_name=".evolved.v1.ReviewStatus")
    message.field.add(name="sections", number=7, type=FieldProto.TYPE_STRING, label=FieldProto.LABEL_REPEATED)
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("evolved.v1.Changed"))


Changed = _evolved_event_type()
MOMENT = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


def test_a_timestamp_is_an_aware_datetime_and_the_older_string_is_not_shown():
    event = Changed(account_id="acc-1", changed_at_iso="2020-01-01T00:00:00Z")
    event.changed_at.FromDatetime(MOMENT)
    view = view_of(event)
    assert view["changed_at"] == MOMENT
    assert "changed_at_iso" not in view


def test_an_event_written_before_the_timestamp_shows_its_iso_string_under_the_new_name():
    view = view_of(Changed(account_id="acc-1", changed_at_iso="2026-03-01T01:30:00Z"))
    assert view["changed_at"] == "2026-03-01T01:30:00Z"


def test_either_spelling_of_a_time_is_shown_alike_in_asia_shanghai():
    new = Changed()
    new.changed_at.FromDatetime(MOMENT)
    old = Changed(changed_at_iso="2026-03-01T01:30:00Z")
    for name in ("zh_datetime", "en_datetime", "zh_date", "zh_short_date"):
        shown = {FILTERS[name](view_of(event)["changed_at"]) for event in (new, old)}
        assert len(shown) == 1, (name, shown)
    assert FILTERS["zh_datetime"](view_of(new)["changed_at"]) == "2026年3月1日 09:30"
    assert FILTERS["zh_datetime"](view_of(Changed())["changed_at"]) == "—"


@pytest.mark.parametrize(
    ("event", "shown"),
    [
        (Changed(status=1), "APPROVED"),  # the enum's own prefix is left out
        (Changed(status=2), "REJECTED"),  # a value without the prefix stays as it is
        (Changed(status=2, status_name="SUBMITTED"), "REJECTED"),
        (Changed(status_name="SUBMITTED"), "SUBMITTED"),  # written before the enum
        (Changed(), ""),
        (Changed(status=7), "7"),  # a value newer than these contracts
    ],
)
def test_an_enum_shows_the_code_people_know(event, shown):
    assert view_of(event)["status"] == shown
    assert enum_name(event, "status") == shown


def test_sealed_and_replaced_fields_are_not_there_for_a_template():
    assert shown_field_names(Changed.DESCRIPTOR) == {"account_id", "changed_at", "status", "sections"}
    registered = identity_events.AccountRegistered(account_id="a", email_sealed="x", mobile_sealed="y")
    assert not {"email_sealed", "mobile_sealed"} & set(view_of(registered))


def test_repeated_fields_are_lists_and_contract_enums_lose_their_prefix():
    assert view_of(Changed(sections=["contact", "work"]))["sections"] == ["contact", "work"]
    code = identity_events.VerificationCodeRequested(purpose=identity_events.CODE_PURPOSE_RESET_PASSWORD)
    assert view_of(code)["purpose"] == "RESET_PASSWORD"
