from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime

import jinja2
import pytest
from jinja2 import meta, nodes
from markupsafe import escape
from tqr_notification.domain import wording
from tqr_notification.domain.catalogue import CATALOGUE, Channel, ChannelNotProduced, spec_for
from tqr_notification.domain.message_view import shown_field_names
from tqr_notification.domain.rendering import (
    FILTERS,
    SMS_SIGNATURE,
    TEMPLATES_DIR,
    RenderingError,
    environment,
    render,
    render_inapp_by_language,
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
        "2026年3月13日 17:00",
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
    "tqr.application.v1.DeadlineReminder": ["2026110105000123", "东城区教师发展中心确认点", "2026年3月13日 17:00"],
    "tqr.application.v1.BroadcastPosted": ["东城区教育委员会", "周五确认点暂停服务", "请改在周六前来"],
    "tqr.application.v1.AppointmentSlotCancelled": ["2026110105000123", "2026年3月5日", "09:00", "场地检修", "重新预约"],
}

SMS_KEY_VALUES: dict[str, list[str]] = {
    CODE: ["482913", "5分钟"],
    "tqr.identity.v1.ManualReviewDecided": ["未通过"],
    "tqr.identity.v1.PasswordChanged": ["2026年3月1日 09:30"],
    SUBMITTED: ["2026110105000123", "3月2日", "3月13日"],
    STATUS_CHANGED: ["2026110105000123", "经审核材料不全"],
}

ALL_PAIRS = [(event, channel) for event, spec in CATALOGUE.items() for channel in spec.channels]
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PHRASE = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+")


def _event_for(event: str, channel: Channel, make):
    if event == CODE:
        return make(event, channel=f"CODE_CHANNEL_{channel.value.upper()}")
    return make(event)


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
def test_every_template_renders_with_its_key_values(event, channel, make):
    message = render(_event_for(event, channel, make), channel)
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


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.INAPP])
def test_r_app_6_the_edit_deadline_is_the_one_the_application_service_sent(channel, make):
    # The plan's online window (online_end) closes earlier than the point's confirmation window;
    # the applicant may edit until the latter (R-APP-6), and the message must name that one.
    message = render(make(SUBMITTED, online_end="2026-03-12T15:59:00Z", edit_until="2026-03-13T09:00:00Z"),
                     channel)
    for body in [message.text] + ([message.html] if message.html else []):
        assert "2026年3月13日 17:00" in body and "13 Mar 2026, 17:00" in body
        assert "3月12日 23:59" not in body and "12 Mar 2026" not in body


@pytest.mark.parametrize("to_new", [False, True])
def test_r_app_7_a_staff_correction_names_the_organisation_and_not_the_password(to_new, make):
    message = render(make("tqr.identity.v1.EmailChanged", corrected_by="海淀区教育委员会", to_new_address=to_new),
                     Channel.EMAIL)
    assert message.subject and message.html
    for body in (message.text, message.html):
        assert "海淀区教育委员会" in body and "当前密码" not in body and "current password" not in body
        assert ("更正为本邮箱" in body) is to_new and ("n***@example.cn" in body) is not to_new
    assert ("本邮箱" in message.subject) is to_new


INAPP_EVENTS = [event for event, spec in CATALOGUE.items() if Channel.INAPP in spec.channels]


@pytest.mark.parametrize("event", INAPP_EVENTS, ids=[e.rsplit(".", 1)[1] for e in INAPP_EVENTS])
def test_inapp_messages_come_in_each_language_on_its_own(event, make):
    # The inbox shows the page's language only (issue 19 item 8): each language's block holds
    # all of that language's words, and the whole message is exactly the two of them.
    message = make(event)
    by_language = render_inapp_by_language(message)
    zh, en = by_language["zh"], by_language["en"]
    assert CJK.search(zh.text) and not ENGLISH_PHRASE.search(zh.text) and not ENGLISH_PHRASE.search(zh.subject)
    assert ENGLISH_PHRASE.search(en.text) and " / " not in (en.subject or "")


def test_a_template_missing_a_language_block_fails(tmp_path, make):
    folder = tmp_path / "real_name_verified"
    folder.mkdir()
    (folder / "inapp.title.j2").write_text("{% block zh %}标题{% endblock %}")
    (folder / "inapp.body.j2").write_text("{% block zh %}正文{% endblock %}{% block en %}Body{% endblock %}")
    env = environment(tmp_path)
    with pytest.raises(RenderingError, match="no en block"):
        render_inapp_by_language(make("tqr.identity.v1.RealNameVerified"), env=env)


def test_fields_left_empty_leave_their_lines_out(make):
    message = render(make(STATUS_CHANGED, reason="", missing_materials=[]), Channel.EMAIL)
    assert "原因" not in message.text
    assert "缺少的材料" not in message.text


@pytest.mark.parametrize("to_status", sorted(wording.STATUS_GUIDANCE))
def test_r_app_2_status_email_states_the_meaning_and_next_step(to_status, make):
    guidance = wording.STATUS_GUIDANCE[to_status]
    message = render(make(STATUS_CHANGED, to_status=to_status, status_label=""), Channel.EMAIL)
    for expected in (guidance.label_zh, guidance.meaning_zh, guidance.next_zh, guidance.next_en):
        assert expected in message.text
        assert str(escape(expected)) in (message.html or "")


def test_r_app_2_unknown_status_still_renders_with_the_events_label(make):
    message = render(make(STATUS_CHANGED, to_status="WITHDRAWN", status_label="已撤回"), Channel.INAPP)
    assert "已撤回" in (message.subject or "")


def test_r_id_6_code_is_in_the_body_but_never_in_the_subject(make):
    message = render(make(CODE, channel="CODE_CHANNEL_EMAIL"), Channel.EMAIL)
    assert "482913" in message.text and "482913" in (message.html or "")
    assert "482913" not in (message.subject or "")


def test_html_escapes_what_staff_wrote_and_text_keeps_it(make):
    event = "tqr.application.v1.MessagePosted"
    message = render(make(event, body='<script>alert("x")</script> & 材料'), Channel.EMAIL)
    assert "<script>" not in (message.html or "")
    assert "&lt;script&gt;" in (message.html or "")
    assert '<script>alert("x")</script> & 材料' in message.text


def test_site_url_appears_as_sign_in_link_when_given(make):
    message = render(make(SUBMITTED), Channel.EMAIL, site_url="https://tqr.example.cn/")
    assert "https://tqr.example.cn/" in message.text
    assert 'href="https://tqr.example.cn/"' in (message.html or "")


def test_channel_the_event_does_not_produce_is_refused(make):
    with pytest.raises(ChannelNotProduced):
        render(make("tqr.application.v1.MessagePosted"), Channel.SMS)
    with pytest.raises(ChannelNotProduced):
        render(make(CODE), Channel.INAPP)


def _copied_templates(tmp_path):
    target = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, target)
    return target


def test_a_template_naming_an_unknown_value_fails_instead_of_leaving_a_hole(tmp_path, make):
    target = _copied_templates(tmp_path)
    (target / "application_status_changed/sms.text.j2").write_text("{{ sms_signature }}{{ no_such_field }}")
    with pytest.raises(RenderingError, match=r"sms\.text\.j2"):
        render(make(STATUS_CHANGED), Channel.SMS, env=environment(target))


def test_a_missing_template_fails(tmp_path, make):
    target = _copied_templates(tmp_path)
    (target / "application_status_changed/email.html.j2").unlink()
    with pytest.raises(RenderingError, match="missing"):
        render(make(STATUS_CHANGED), Channel.EMAIL, env=environment(target))


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
        # A google.protobuf.Timestamp arrives as an aware datetime, None when unset.
        (datetime(2026, 3, 1, 1, 30, tzinfo=UTC), "zh_datetime", "2026年3月1日 09:30"),
        (datetime(2026, 2, 28, 16, 30, tzinfo=UTC), "zh_short_date", "3月1日"),
        (datetime(2026, 3, 1, 1, 30, tzinfo=UTC), "en_datetime", "1 Mar 2026, 09:30 (Beijing time)"),
        (None, "en_date", "—"),
    ],
)
def test_dates_are_shown_in_asia_shanghai(value, filter_name, expected):
    assert FILTERS[filter_name](value) == expected


def _names_in(target: nodes.Node) -> list[nodes.Name]:
    return [target] if isinstance(target, nodes.Name) else list(target.find_all(nodes.Name))


def _names_a_template_reads(env: jinja2.Environment, name: str) -> set[str]:
    """Every variable the template reads from its context, less what it sets itself (a top-level
    ``set`` in a template that extends the layout is reported as undeclared inside its blocks)."""
    assert env.loader is not None
    tree = env.parse(env.loader.get_source(env, name)[0])
    assigned = {target.name for assign in tree.find_all(nodes.Assign) for target in _names_in(assign.target)}
    return meta.find_undeclared_variables(tree) - assigned


def _names_no_event_has(env: jinja2.Environment) -> dict[str, set[str]]:
    """Per template, the names it reads that are neither a field of its event (from the event's
    proto descriptor, as ``message_view`` shows it) nor a global of the environment."""
    shared = set(env.globals) | {"site_url"}
    unknown: dict[str, set[str]] = {}
    for spec in CATALOGUE.values():
        fields = shown_field_names(spec.event.DESCRIPTOR)
        for channel in spec.channels:
            for name in spec.template_names(channel).values():
                extra = _names_a_template_reads(env, name) - fields - shared
                if extra:
                    unknown[name] = extra
    assert env.loader is not None
    for name in env.loader.list_templates():
        if name.startswith("_layout/"):
            extra = _names_a_template_reads(env, name) - shared
            if extra:
                unknown[name] = extra
    return unknown


def test_every_template_names_only_fields_its_event_has_in_the_proto():
    assert _names_no_event_has(environment()) == {}


def test_the_field_check_finds_a_name_the_event_does_not_have(tmp_path):
    target = _copied_templates(tmp_path)
    path = target / "password_changed/sms.text.j2"
    path.write_text(path.read_text(encoding="utf-8") + "{{ changed_by }}", encoding="utf-8")
    layout = target / "_layout/footer.text.j2"
    layout.write_text(layout.read_text(encoding="utf-8") + "{{ name }}", encoding="utf-8")
    assert _names_no_event_has(environment(target)) == {
        "password_changed/sms.text.j2": {"changed_by"},
        "_layout/footer.text.j2": {"name"},
    }


def test_sealed_fields_are_not_there_for_a_template_to_print():
    for spec in CATALOGUE.values():
        assert not [f for f in shown_field_names(spec.event.DESCRIPTOR) if f.endswith("_sealed")]


def test_r_app_6_every_section_the_application_service_publishes_has_a_label():
    # tqr_application.domain.application.Section (services do not import each other).
    published = ["CERTIFICATE", "MATERIALS", "CONTACT", "POINT", "TEACHING"]
    for section in published:
        zh, en = wording.label(wording.APPLICATION_SECTIONS, section)
        assert zh != section and en != section, section
