from __future__ import annotations

import pytest
from tqr_notification.domain.catalogue import (
    CATALOGUE,
    Channel,
    ChannelNotProduced,
    UnknownEvent,
    normalize_payload,
    spec_for,
)

STATUS_CHANGED = "tqr.application.v1.ApplicationStatusChanged"
CODE = "tqr.identity.v1.VerificationCodeRequested"


def test_every_catalogued_event_has_a_sample_and_a_recipient_rule(samples):
    assert set(CATALOGUE) == set(samples)
    for event_type, spec in CATALOGUE.items():
        assert spec.event_type == event_type
        if spec.recipient_field is not None:
            assert spec.recipient_field in spec.fields


def test_r_app_2_status_change_notifies_by_inapp_email_and_sms(samples):
    spec = spec_for(STATUS_CHANGED)
    assert set(spec.channels_for(samples[STATUS_CHANGED])) == {Channel.INAPP, Channel.EMAIL, Channel.SMS}
    assert spec.recipient_field == "applicant_id"


def test_r_app_4_message_from_the_authority_reaches_inbox_and_email(samples):
    event = "tqr.application.v1.MessagePosted"
    assert set(spec_for(event).channels_for(samples[event])) == {Channel.INAPP, Channel.EMAIL}


@pytest.mark.parametrize(
    ("raw_channel", "expected"),
    [
        ("SMS", Channel.SMS),
        ("CODE_CHANNEL_SMS", Channel.SMS),
        ("EMAIL", Channel.EMAIL),
        ("CODE_CHANNEL_EMAIL", Channel.EMAIL),
        ("ALTERNATIVE", Channel.ALTERNATIVE),
        ("CODE_CHANNEL_ALTERNATIVE", Channel.ALTERNATIVE),
    ],
)
def test_r_id_6_code_goes_only_through_the_channel_the_event_names(raw_channel, expected, samples):
    payload = {**samples[CODE], "channel": raw_channel}
    assert spec_for(CODE).channels_for(payload) == (expected,)


def test_r_id_6_code_event_is_the_only_one_marked_secret_and_has_no_inbox_copy():
    secret = [spec.event_type for spec in CATALOGUE.values() if spec.carries_secret]
    assert secret == [CODE]
    assert Channel.INAPP not in spec_for(CODE).all_channels()


def test_code_with_unknown_channel_is_refused(samples):
    with pytest.raises(ChannelNotProduced):
        spec_for(CODE).channels_for({**samples[CODE], "channel": "CODE_CHANNEL_UNSPECIFIED"})


def test_unknown_event_type_is_refused():
    with pytest.raises(UnknownEvent):
        spec_for("tqr.identity.v1.Nope")


def test_normalize_puts_back_what_message_to_dict_omits():
    spec = spec_for(STATUS_CHANGED)
    normalized = normalize_payload(spec, {"application_number": "N1", "to_status": "CONFIRMED"})
    assert normalized["reason"] == ""
    assert normalized["missing_materials"] == []
    assert normalized["application_number"] == "N1"
    # Each call gets its own list, so one render cannot leak into another.
    assert normalize_payload(spec, {})["missing_materials"] is not normalized["missing_materials"]


def test_template_names_follow_the_directory_convention():
    names = spec_for(STATUS_CHANGED).template_names(Channel.EMAIL)
    assert names == {
        "subject": "application_status_changed/email.subject.j2",
        "text": "application_status_changed/email.text.j2",
        "html": "application_status_changed/email.html.j2",
    }
