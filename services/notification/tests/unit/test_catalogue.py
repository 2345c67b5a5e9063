from __future__ import annotations

import pytest
from tqr.identity.v1 import events_pb2 as identity_events
from tqr_notification.domain.catalogue import CATALOGUE, Channel, ChannelNotProduced, UnknownEvent, spec_for

STATUS_CHANGED = "tqr.application.v1.ApplicationStatusChanged"
CODE = "tqr.identity.v1.VerificationCodeRequested"


def test_every_catalogued_event_has_a_sample_and_names_a_recipient_field_its_event_has(samples):
    assert set(CATALOGUE) == set(samples)
    for event_type, spec in CATALOGUE.items():
        assert spec.event_type == event_type
        fields = spec.event.DESCRIPTOR.fields_by_name
        if spec.recipient_field is not None:
            assert fields[spec.recipient_field].type == fields[spec.recipient_field].TYPE_STRING
        elif spec.fans_out:  # a page of recipients, and what makes each copy unique
            assert spec.recipients_field is not None and spec.dedupe_field is not None
            assert fields[spec.recipients_field].is_repeated
            assert fields[spec.dedupe_field].type == fields[spec.dedupe_field].TYPE_STRING
        else:  # the destination travels sealed in the event
            assert "destination_sealed" in fields
        if spec.chosen_by is not None:
            assert fields[spec.chosen_by].enum_type is not None


def test_r_app_2_status_change_notifies_by_inapp_email_and_sms(make):
    spec = spec_for(STATUS_CHANGED)
    assert set(spec.channels_for(make(STATUS_CHANGED))) == {Channel.INAPP, Channel.EMAIL, Channel.SMS}
    assert spec.recipient_field == "applicant_id"


def test_r_app_4_message_from_the_authority_reaches_inbox_and_email(make):
    event = "tqr.application.v1.MessagePosted"
    assert set(spec_for(event).channels_for(make(event))) == {Channel.INAPP, Channel.EMAIL}


@pytest.mark.parametrize(
    ("code_channel", "expected"),
    [
        (identity_events.CODE_CHANNEL_SMS, Channel.SMS),
        (identity_events.CODE_CHANNEL_EMAIL, Channel.EMAIL),
        (identity_events.CODE_CHANNEL_ALTERNATIVE, Channel.ALTERNATIVE),
    ],
)
def test_r_id_6_code_goes_only_through_the_channel_the_event_names(code_channel, expected, make):
    assert spec_for(CODE).channels_for(make(CODE, channel=code_channel)) == (expected,)


def test_r_id_6_code_event_is_the_only_one_marked_secret_and_has_no_inbox_copy():
    secret = [spec.event_type for spec in CATALOGUE.values() if spec.carries_secret]
    assert secret == [CODE]
    assert Channel.INAPP not in spec_for(CODE).channels


def test_code_with_unknown_channel_is_refused(make):
    with pytest.raises(ChannelNotProduced):
        spec_for(CODE).channels_for(make(CODE, channel="CODE_CHANNEL_UNSPECIFIED"))
    with pytest.raises(ChannelNotProduced):
        spec_for(CODE).channels_for(make(CODE, channel=99))  # a value newer than these contracts


def test_unknown_event_type_is_refused():
    with pytest.raises(UnknownEvent):
        spec_for("tqr.identity.v1.Nope")


def test_template_names_follow_the_directory_convention():
    names = spec_for(STATUS_CHANGED).template_names(Channel.EMAIL)
    assert names == {
        "subject": "application_status_changed/email.subject.j2",
        "text": "application_status_changed/email.text.j2",
        "html": "application_status_changed/email.html.j2",
    }


def test_r_staff_7_a_broadcast_reaches_inbox_and_email_never_sms(make):
    event = "tqr.application.v1.BroadcastPosted"
    spec = spec_for(event)
    assert set(spec.channels_for(make(event))) == {Channel.INAPP, Channel.EMAIL}
    assert spec.fans_out and spec.recipients_field == "applicant_ids" and not spec.carries_secret
