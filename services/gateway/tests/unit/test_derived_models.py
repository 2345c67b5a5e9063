"""The applications API's responses are derived from the messages they restate (issue 18): a field a
service adds reaches the API and its OpenAPI document without a second declaration, and only the
fields left out on purpose are missing."""

from __future__ import annotations

import random

import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from pydantic import BaseModel, ValidationError
from tqr.application.v1 import applications_pb2 as apps
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wiz
from tqr.notification.v1 import notification_pb2 as inbox
from tqr_gateway.api import application_models as m
from tqr_gateway.api.derived_models import restating

from services.gateway.tests.unit.test_proto_dicts import fill

# Response model, its message, and what the API leaves out of it on purpose.
DERIVED = [
    (m.DraftResponse, wiz.DraftResponse, set()),
    (m.Draft, wiz.Draft, {"registry_photo", "reference_version"}),
    (m.Application, views.ApplicationView,
     {"applicant_id", "certificate_claimed_by_another", "also_in_other_plans", "reference_version"}),
    (m.SubmitResult, wiz.SubmitApplicationResponse, set()),
    (m.EditResult, apps.EditApplicationResponse, set()),
    (m.Messages, apps.ListMessagesResponse, set()),
    (m.EligibilityReport, wiz.EligibilityReport, set()),
    (m.Inbox, inbox.ListInboxMessagesResponse, set()),
    (m.Unread, inbox.MarkInboxMessageReadResponse, set()),
]


@pytest.mark.parametrize(("model", "message_class", "left_out"), DERIVED, ids=lambda p: getattr(p, "__name__", ""))
def test_every_field_of_the_message_is_in_the_model_but_those_left_out(
    model: type[BaseModel], message_class: type[Message], left_out: set[str]
) -> None:
    names = [field.name for field in message_class.DESCRIPTOR.fields]
    assert list(model.model_fields) == [name for name in names if name not in left_out]


def test_a_filled_application_loses_nothing_on_its_way_to_json() -> None:
    """Every value of a random application view comes out under its own name (the certificate's
    gender in the API's M / F spelling), except the fields the applicant is not shown."""
    rng = random.Random(18)
    for _ in range(50):
        message = fill(views.ApplicationView(), rng)
        try:
            written = m.from_proto(m.Application, message).model_dump(mode="json")
        except ValidationError:
            continue  # an enum number this build does not know, which the API refuses as before
        expected = json_format.MessageToDict(message, preserving_proto_field_name=True,
                                             always_print_fields_with_no_presence=True)
        for left_out in ("applicant_id", "certificate_claimed_by_another", "also_in_other_plans", "reference_version"):
            assert left_out not in written
            expected.pop(left_out, None)
        assert set(expected) <= set(written)  # nothing lost; json_format leaves out unset messages
        assert all(not message.HasField(extra) for extra in set(written) - set(expected))
        texts = [f.name for f in views.ApplicationView.DESCRIPTOR.fields
                 if f.type == f.TYPE_STRING and f.name in written]
        assert {name: written[name] for name in texts} == {name: expected[name] for name in texts}
        assert [h["reason"] for h in written["history"]] == [h["reason"] for h in expected["history"]]
        if "point" in expected:
            assert set(expected["point"]) <= set(written["point"])


def test_the_openapi_document_names_the_fields_of_the_message() -> None:
    schema = m.Application.model_json_schema()
    assert set(schema["properties"]) == {f.name for f in views.ApplicationView.DESCRIPTOR.fields} - {
        "applicant_id", "certificate_claimed_by_another", "also_in_other_plans", "reference_version"}
    assert schema["$defs"]["Status"]["properties"]["status"]["type"] == "string"


def test_a_field_without_an_api_shape_must_be_left_out_by_name() -> None:
    with pytest.raises(TypeError, match="registry_photo"):
        restating(wiz.Draft, name="Draft")
    with pytest.raises(ValueError, match="no_such_field"):
        restating(wiz.Warning, name="Warning", omit=["no_such_field"])
