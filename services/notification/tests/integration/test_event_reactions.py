"""Every event type produces its messages on each channel, through the real host, bus and SMTP."""

from __future__ import annotations

import asyncio
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from testkit import wait_for
from tqr.application.v1 import events_pb2 as app
from tqr.identity.v1 import events_pb2 as idn
from tqr.notification.v1 import notification_pb2 as pb
from tqr_notification.domain.rendering import render, render_inapp_by_language

EMAIL, PHONE, ACCOUNT = "teacher@example.com", "13812345678", "acc-1"
NUMBER = "2026110105000123"



def _at(text: str) -> Timestamp:
    stamp = Timestamp()
    stamp.FromJsonString(text)
    return stamp


# (event, channels it must reach, a value that must appear in what the person reads)
EVENTS: list[tuple[Message, set[str], str]] = [
    (idn.RealNameVerified(account_id=ACCOUNT, name="张晓红"), {"inapp", "email"}, "张晓红"),
    (idn.RealNameVerificationFailed(account_id=ACCOUNT, name="张晓红", reason="姓名与证件号码不一致"),
     {"inapp", "email"}, "姓名与证件号码不一致"),
    (idn.ManualReviewRequested(account_id=ACCOUNT, case_id="MR-0007", due_date="2026-03-10"),
     {"inapp", "email"}, "MR-0007"),
    (idn.ManualReviewDecided(account_id=ACCOUNT, case_id="MR-0007", decision="REJECTED", reason="证件照片模糊"),
     {"inapp", "email", "sms"}, "证件照片模糊"),
    (idn.PasswordChanged(account_id=ACCOUNT, changed_at=_at("2026-03-01T01:30:00Z"), via="RESET"),
     {"inapp", "email", "sms"}, "2026"),
    (idn.SupportRequestDecided(account_id=ACCOUNT, request_id="SR-42", kind="CHANGE_CONTACT",
                               decision="APPROVED", reason="已核实本人身份"), {"inapp", "email"}, "已核实本人身份"),
    (app.ApplicationSubmitted(application_id="app-1", application_number=NUMBER, applicant_id=ACCOUNT,
                              applicant_name="张晓红", authority_name="东城区教委", point_name="东城确认点",
                              confirm_start=_at("2026-03-02T00:00:00Z"), confirm_end=_at("2026-03-13T09:00:00Z")),
     {"inapp", "email", "sms"}, NUMBER),
    (app.ApplicationUpdated(application_id="app-1", application_number=NUMBER, applicant_id=ACCOUNT,
                            changed_sections=["contact"]), {"inapp", "email"}, NUMBER),
    (app.ApplicationStatusChanged(application_id="app-1", application_number=NUMBER, applicant_id=ACCOUNT,
                                  from_status="SUBMITTED", to_status="MATERIALS_INCOMPLETE",
                                  status_label="经审核材料不全，请向确认机构提交补齐", reason="申请表未签字",
                                  missing_materials=["继续教育学时证明"], actor_role="POINT_STAFF"),
     {"inapp", "email", "sms"}, "继续教育学时证明"),
    (app.MessagePosted(application_id="app-1", application_number=NUMBER, applicant_id=ACCOUNT,
                       author_org_name="东城确认点", author_role="POINT_STAFF", body="请携带原件到203室"),
     {"inapp", "email"}, "请携带原件到203室"),
]


def _rendered(message: Message, channel: str) -> Any:
    return render(message, channel)


async def test_every_event_type_produces_its_message_on_each_channel(db_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(db_url)
    sms = h.SmsRecorder()
    host = await rig.start(sms=sms)
    await rig.register(ACCOUNT, EMAIL, PHONE)
    registered = idn.AccountRegistered(account_id=ACCOUNT, name="张晓红", masked_document_number="1101**********123X")
    await wait_for(lambda: handler.to(EMAIL), timeout=15, what="the welcome email")
    event_ids = [await rig.publish(message) for message, _, _ in EVENTS]
    wanted_emails = 1 + sum("email" in channels for _, channels, _ in EVENTS)
    wanted_sms = sum("sms" in channels for _, channels, _ in EVENTS)
    await wait_for(lambda: len(handler.to(EMAIL)) >= wanted_emails and len(sms.to(PHONE)) >= wanted_sms,
                   timeout=30, what="every email and SMS")

    # A redelivered event (same event id) sends nothing again.
    await rig.publish(EVENTS[-2][0], event_id=event_ids[-2])
    await asyncio.sleep(1.0)

    subjects = [email.subject for email in handler.to(EMAIL)]
    texts = {email.subject: email.text for email in handler.to(EMAIL)}
    stub = rig.inbox(host)
    listed = await stub.ListInboxMessages(pb.ListInboxMessagesRequest(page_size=100), metadata=h.actor(ACCOUNT))
    inbox = {m.title: m.body for m in listed.messages}
    assert _rendered(registered, "email").subject in subjects
    for message, channels, words in EVENTS:
        name = message.DESCRIPTOR.full_name
        if "email" in channels:
            subject = _rendered(message, "email").subject
            assert subjects.count(subject) == 1, name
            assert words in texts[subject], name
        if "sms" in channels:
            assert [s["text"] for s in sms.to(PHONE)].count(_rendered(message, "sms").text) == 1, name
        title = render_inapp_by_language(message)["zh"].subject  # the inbox answers in Chinese unless asked
        assert title in inbox, name
    assert len(subjects) == wanted_emails
    assert len(sms.sent) == wanted_sms
    assert len(listed.messages) == 1 + len(EVENTS)
    assert {row.status for row in await rig.rows()} == {"SENT"}


async def test_r_app_2_status_change_reaches_inbox_email_and_sms_with_missing_materials(sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    sms = h.SmsRecorder()
    host = await rig.start(sms=sms)
    await rig.register(ACCOUNT, EMAIL, PHONE)
    status, _, _ = EVENTS[8]
    await rig.publish(status)
    await wait_for(lambda: len(handler.to(EMAIL)) == 2 and sms.to(PHONE), timeout=15, what="status notices")
    email_text = handler.to(EMAIL)[-1].text
    assert "继续教育学时证明" in email_text and "申请表未签字" in email_text
    listed = await rig.inbox(host).ListInboxMessages(pb.ListInboxMessagesRequest(), metadata=h.actor(ACCOUNT))
    assert "继续教育学时证明" in listed.messages[0].body
    [short] = sms.to(PHONE)
    assert NUMBER in str(short["text"]) and "经审核材料不全" in str(short["text"])


async def test_r_app_4_message_from_the_point_reaches_inbox_and_email(sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    host = await rig.start(sms=h.SmsRecorder())
    await rig.register(ACCOUNT, EMAIL, PHONE)
    posted, _, words = EVENTS[9]
    await rig.publish(posted)
    await wait_for(lambda: len(handler.to(EMAIL)) == 2, timeout=15, what="the message email")
    assert words in handler.to(EMAIL)[-1].text
    listed = await rig.inbox(host).ListInboxMessages(pb.ListInboxMessagesRequest(), metadata=h.actor(ACCOUNT))
    assert words in listed.messages[0].body


async def test_r_id_6_code_goes_only_through_the_channel_the_person_chose(sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    sms, alternative = h.SmsRecorder(), h.SmsRecorder()
    await rig.start(sms=sms, alternative=alternative)
    sends = [
        (idn.CODE_CHANNEL_SMS, "13900001111", "111111"),
        (idn.CODE_CHANNEL_EMAIL, "code@example.com", "222222"),
        (idn.CODE_CHANNEL_ALTERNATIVE, "13900002222", "333333"),
    ]
    for channel, destination, code in sends:
        await rig.publish(idn.VerificationCodeRequested(
            account_hint="139****1111", purpose=idn.CODE_PURPOSE_REGISTER, channel=channel, code=code,
            expires_in_seconds=300, destination_sealed=h.CODE_DESTINATIONS.seal(destination),
        ))
    await wait_for(lambda: sms.sent and alternative.sent and handler.emails, timeout=15, what="three codes")
    await asyncio.sleep(0.5)
    assert [(s["to"], "111111" in str(s["text"])) for s in sms.sent] == [("13900001111", True)]
    assert [(s["to"], "333333" in str(s["text"])) for s in alternative.sent] == [("13900002222", True)]
    assert [(e.to, "222222" in e.text) for e in handler.emails] == [(["code@example.com"], True)]
    rows = await rig.rows()
    assert len(rows) == 3 and {r.status for r in rows} == {"SENT"}
    # Neither the destination nor the code is kept in clear.
    for row in rows:
        assert "1390000" not in str(row.destination_sealed) and "111111" not in row.content_sealed


async def test_contact_change_redirects_later_messages_and_a_late_old_event_does_not_undo_it(
        sqlite_url, rig_factory, smtp, h):
    from datetime import UTC, datetime, timedelta

    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    await rig.start(sms=h.SmsRecorder())
    now = datetime.now(UTC)
    change = await rig.publish(
        idn.ContactDetailsChanged(account_id=ACCOUNT, email_sealed=h.CONTACTS.seal("new@example.com")), occurred_at=now)
    # The registration happened earlier but its event arrives after the change has been applied
    # (published together, the two are handled concurrently and either may be applied first).
    await wait_for(lambda: rig.handled(change), timeout=15, what="the contact change applied")
    await rig.publish(idn.AccountRegistered(account_id=ACCOUNT, name="张晓红", email_sealed=h.CONTACTS.seal(EMAIL),
                                            mobile_sealed=h.CONTACTS.seal(PHONE)), occurred_at=now - timedelta(hours=1))
    await rig.publish(EVENTS[0][0])
    await wait_for(lambda: len(handler.emails) == 2, timeout=15, what="two emails")
    assert [e.to for e in handler.emails] == [["new@example.com"], ["new@example.com"]]


async def test_r_id_11_outcome_of_a_request_made_without_sign_in_goes_to_the_new_contacts(sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    sms = h.SmsRecorder()
    await rig.start(sms=sms)
    await rig.register(ACCOUNT, EMAIL, PHONE)  # the old contacts, lost
    await wait_for(lambda: handler.to(EMAIL), timeout=15, what="the welcome email")
    await rig.publish(idn.SupportRequestDecided(
        account_id=ACCOUNT, request_id="SR-43", kind="CHANGE_CONTACT", decision="REJECTED",
        reason="照片与证件不符", without_sign_in=True,
        requested_email_sealed=h.CONTACTS.seal("new.address@example.com")))
    await wait_for(lambda: handler.to("new.address@example.com"), timeout=15, what="the outcome at the new address")
    assert "照片与证件不符" in handler.to("new.address@example.com")[0].text
    assert len(handler.to(EMAIL)) == 1  # nothing more to the lost address


async def test_r_id_14_an_email_change_is_told_to_the_old_address_only(sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    await rig.start(sms=h.SmsRecorder())
    # What identity stages on the change: the new address for the directory, the notice to the old one.
    await rig.publish(idn.ContactDetailsChanged(account_id=ACCOUNT, email_sealed=h.CONTACTS.seal("new@example.com")))
    await rig.publish(idn.EmailChanged(account_id=ACCOUNT, changed_at=_at("2026-03-01T02:15:00Z"),
                                       masked_new_email="n***@example.com",
                                       destination_sealed=h.CODE_DESTINATIONS.seal(EMAIL)))
    await wait_for(lambda: handler.to(EMAIL), timeout=15, what="the notice at the old address")
    await asyncio.sleep(0.5)
    [notice] = handler.to(EMAIL)
    assert "n***@example.com" in notice.text and "找回密码" in notice.text
    assert handler.to("new@example.com") == []


async def test_r_app_9_overdue_notice_and_deadline_reminders_reach_inbox_and_email(pg_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(pg_url)
    host = await rig.start(sms=h.SmsRecorder())
    await rig.register(ACCOUNT, EMAIL, PHONE)
    overdue = app.ApplicationStatusChanged(
        application_id="app-1", application_number=NUMBER, applicant_id=ACCOUNT, from_status="SUBMITTED",
        to_status="OVERDUE_UNCONFIRMED", status_label="逾期未确认", actor_role="SYSTEM")
    confirmation = app.DeadlineReminder(
        applicant_id=ACCOUNT, window=app.REMINDER_WINDOW_CONFIRMATION, application_id="app-1",
        application_number=NUMBER, status="SUBMITTED", authority_name="东城区教委", point_name="东城确认点",
        point_address="东城区东四北大街1号", closes_at=_at("2026-03-13T09:00:00Z"))
    online = app.DeadlineReminder(applicant_id=ACCOUNT, window=app.REMINDER_WINDOW_ONLINE,
                                  authority_name="东城区教委", closes_at=_at("2026-03-10T15:59:00Z"))
    for message in (overdue, confirmation, online):
        await rig.publish(message)
    await wait_for(lambda: len(handler.to(EMAIL)) == 4, timeout=20, what="the notices")  # + the welcome
    texts = {email.subject: email.text for email in handler.to(EMAIL)}
    overdue_text = texts[_rendered(overdue, "email").subject]
    assert "逾期未确认" in overdue_text and "以后的注册计划中重新申请" in overdue_text
    assert "Not confirmed in time" in overdue_text
    reminder = texts[_rendered(confirmation, "email").subject]
    assert NUMBER in reminder and "东城确认点" in reminder and "2026年3月13日 17:00" in reminder
    online_text = texts[_rendered(online, "email").subject]
    assert "东城区教委的网上申报将于 2026年3月10日 23:59 截止" in online_text and "not been submitted" in online_text
    listed = await rig.inbox(host).ListInboxMessages(pb.ListInboxMessagesRequest(), metadata=h.actor(ACCOUNT))
    titles = {m.title for m in listed.messages}
    assert {"申请状态：逾期未确认", "现场确认即将截止", "网上申报即将截止"} <= titles
