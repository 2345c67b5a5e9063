from __future__ import annotations

import re
import shutil

import pytest
from markupsafe import escape
from tqr_notification.domain import wording
from tqr_notification.domain.catalogue import CATALOGUE, Channel, ChannelNotProduced, spec_for
from tqr_notification.domain.rendering import (
    FILTERS,
    SMS_SIGNATURE,
    TEMPLATES_DIR,
    RenderingError,
    environment,
    render,
)

CODE = "tqr.identity.v1.VerificationCodeRequested"
STATUS_CHANGED = "tqr.application.v1.ApplicationStatusChanged"
SUBMITTED = "tqr.application.v1.ApplicationSubmitted"

# Values from the sample payloads (conftest) that a person must see, per event.
KEY_VALUES: dict[str, list[str]] = {
    CODE: ["482913"],
    "tqr.identity.v1.AccountRegistered": ["张晓红", "1101**********123X"],
    "tqr.identity.v1.RealNameVerified": ["张晓红"],
    "tqr.identity.v1.RealNameVerificationFailed": ["张晓红", "姓名与证件号码不一致"],
    "tqr.identity.v1.ManualReviewRequested": ["MR-20260301-0007", "2026年3月10日"],
    "tqr.identity.v1.ManualReviewDecided": ["MR-20260301-0007", "证件照片模糊"],
    # 01:30 UTC is 09:30 in Shanghai.
    "tqr.identity.v1.PasswordChanged": ["2026年3月1日 09:30"],
    "tqr.identity.v1.SupportRequestDecided": ["SR-0042", "已核实本人身份"],
    SUBMITTED: [
        "2026110105000123",
        "北京市东城区教育委员会",
        "东城区教师发展中心确认点",
        "北京市东城区安定门东大街2号",
        "2026年3月2日",
        "2026年3月13日",
        "2026年3月12日 23:59",
    ],
    "tqr.application.v1.ApplicationUpdated": ["2026110105000123"],
    STATUS_CHANGED: [
        "2026110105000123",
        "经审核材料不全，请向确认机构提交补齐",
        "申请表未签字",
        "近五年师德考核表",
        "继续教育学时证明",
    ],
    "tqr.identity.v1.EmailChanged": ["n***@example.cn", "2026年3月1日 10:15", "找回密码"],
    "tqr.application.v1.MessagePosted": [
        "2026110105000123",
        "东城区教师发展中心确认点",
        "请于3月5日上午携带原件到二楼203室。",
    ],
}

SMS_KEY_VALUES: dict[str, list[str]] = {
    CODE: ["482913", "5分钟"],
    "tqr.identity.v1.ManualReviewDecided": ["未通过"],
    "tqr.identity.v1.PasswordChanged": ["2026年3月1日 09:30"],
    SUBMITTED: ["2026110105000123", "3月2日", "3月13日"],
    STATUS_CHANGED: ["2026110105000123", "经审核材料不全"],
}

ALL_PAIRS = [(event, channel) for event, spec in CATALOGUE.items() for channel in spec.all_channels()]
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PHRASE = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+")


def _payload_for(event: str, channel: Channel, samples: dict) -> dict:
    payload = dict(samples[event])
    if event == CODE:
        payload["channel"] = f"CODE_CHANNEL_{channel.value.upper()}"
    return payload


def test_every_expected_template_file_exists_and_none_is_orphaned():
    expected = {
        name for event, channel in ALL_PAIRS for name in spec_for(event).template_names(channel).values()
    }
    present = {
        str(path.relative_to(TEMPLATES_DIR))
        for path in TEMPLATES_DIR.rglob("*.j2")
        if not path.relative_to(TEMPLATES_DIR).parts[0].startswith("_")
    }
    assert expected - present == set(), "missing templates"
    assert present - expected == set(), "templates no event uses"


@pytest.mark.parametrize(
    ("event", "channel"), ALL_PAIRS, ids=[f"{e.rsplit('.', 1)[1]}-{c}" for e, c in ALL_PAIRS]
)
def test_every_template_renders_with_its_key_values(event, channel, samples):
    message = render(event, channel, _payload_for(event, channel, samples))
    assert message.text.strip()
    if channel is Channel.SMS:
        assert message.subject is None and message.html is None
        assert message.text.startswith(SMS_SIGNATURE)
        assert len(message.text) <= 70, message.text
        for value in SMS_KEY_VALUES.get(event, []):
            assert value in message.text
        return
    bodies = [message.text] + ([message.html] if message.html is not None else [])
    for value in KEY_VALUES[event]:
        for body in bodies:
            assert value in body, f"{value!r} missing from {event} {channel}"
    # Chinese first, then English.
    first_cjk = CJK.search(message.text)
    first_english = ENGLISH_PHRASE.search(message.text)
    assert first_cjk and first_english and first_cjk.start() < first_english.start()
    if channel is Channel.EMAIL:
        assert message.subject and CJK.search(message.subject) and "/" in message.subject
        assert message.html is not None and message.html.startswith("<!DOCTYPE html>")
    if channel is Channel.INAPP:
        assert message.subject and message.html is None


def test_render_works_when_message_to_dict_dropped_the_empty_fields(samples):
    payload = {k: v for k, v in samples[STATUS_CHANGED].items() if k not in ("reason", "missing_materials")}
    message = render(STATUS_CHANGED, Channel.EMAIL, payload)
    assert "原因" not in message.text
    assert "缺少的材料" not in message.text


@pytest.mark.parametrize("to_status", sorted(wording.STATUS_GUIDANCE))
def test_r_app_2_status_email_states_the_meaning_and_next_step(to_status, samples):
    payload = {**samples[STATUS_CHANGED], "to_status": to_status, "status_label": ""}
    guidance = wording.STATUS_GUIDANCE[to_status]
    message = render(STATUS_CHANGED, Channel.EMAIL, payload)
    for expected in (guidance.label_zh, guidance.meaning_zh, guidance.next_zh, guidance.next_en):
        assert expected in message.text
        assert str(escape(expected)) in (message.html or "")


def test_r_app_2_unknown_status_still_renders_with_the_events_label(samples):
    payload = {**samples[STATUS_CHANGED], "to_status": "WITHDRAWN", "status_label": "已撤回"}
    message = render(STATUS_CHANGED, Channel.INAPP, payload)
    assert "已撤回" in (message.subject or "")


def test_r_id_6_code_is_in_the_body_but_never_in_the_subject(samples):
    payload = {**samples[CODE], "channel": "EMAIL"}
    message = render(CODE, Channel.EMAIL, payload)
    assert "482913" in message.text and "482913" in (message.html or "")
    assert "482913" not in (message.subject or "")


def test_html_escapes_what_staff_wrote_and_text_keeps_it(samples):
    event = "tqr.application.v1.MessagePosted"
    payload = {**samples[event], "body": '<script>alert("x")</script> & 材料'}
    message = render(event, Channel.EMAIL, payload)
    assert "<script>" not in (message.html or "")
    assert "&lt;script&gt;" in (message.html or "")
    assert '<script>alert("x")</script> & 材料' in message.text


def test_site_url_appears_as_sign_in_link_when_given(samples):
    message = render(SUBMITTED, Channel.EMAIL, samples[SUBMITTED], site_url="https://tqr.example.cn/")
    assert "https://tqr.example.cn/" in message.text
    assert 'href="https://tqr.example.cn/"' in (message.html or "")


def test_channel_the_event_does_not_produce_is_refused(samples):
    with pytest.raises(ChannelNotProduced):
        render("tqr.application.v1.MessagePosted", Channel.SMS, samples["tqr.application.v1.MessagePosted"])
    with pytest.raises(ChannelNotProduced):
        render(CODE, Channel.INAPP, samples[CODE])


def _copied_templates(tmp_path):
    target = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, target)
    return target


def test_a_template_naming_an_unknown_value_fails_instead_of_leaving_a_hole(tmp_path, samples):
    target = _copied_templates(tmp_path)
    (target / "application_status_changed/sms.text.j2").write_text("{{ sms_signature }}{{ no_such_field }}")
    with pytest.raises(RenderingError, match=r"sms\.text\.j2"):
        render(STATUS_CHANGED, Channel.SMS, samples[STATUS_CHANGED], env=environment(target))


def test_a_missing_template_fails(tmp_path, samples):
    target = _copied_templates(tmp_path)
    (target / "application_status_changed/email.html.j2").unlink()
    with pytest.raises(RenderingError, match="missing"):
        render(STATUS_CHANGED, Channel.EMAIL, samples[STATUS_CHANGED], env=environment(target))


@pytest.mark.parametrize(
    ("value", "filter_name", "expected"),
    [
        ("2026-03-01T01:30:00Z", "zh_datetime", "2026年3月1日 09:30"),
        ("2026-02-28T16:30:00+00:00", "zh_date", "2026年3月1日"),  # past midnight in Shanghai
        ("2026-02-28T16:30:00", "zh_short_date", "3月1日"),  # no offset: taken as UTC
        ("2026-03-01T09:30:00+08:00", "zh_datetime", "2026年3月1日 09:30"),
        ("2026-03-10", "zh_date", "2026年3月10日"),  # a calendar date is not shifted
        ("2026-03-01T01:30:00Z", "en_datetime", "1 Mar 2026, 09:30 (Beijing time)"),
        ("2026-03-10", "en_date", "10 Mar 2026"),
        ("", "zh_date", "—"),
    ],
)
def test_dates_are_shown_in_asia_shanghai(value, filter_name, expected):
    assert FILTERS[filter_name](value) == expected
