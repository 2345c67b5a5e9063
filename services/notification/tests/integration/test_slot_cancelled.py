"""R-SLOT-3: a point cancelled a booked appointment slot; the person is told in the inbox and by
email, and asked to book another slot (the message is rendered from the event's own fields)."""

from __future__ import annotations

from testkit import wait_for
from tqr.application.v1 import events_pb2 as app
from tqr.notification.v1 import notification_pb2 as pb

EMAIL, PHONE, ACCOUNT = "slot-teacher@example.com", "13812340000", "acc-slot-1"


async def test_r_slot_3_cancelled_slot_reaches_inbox_and_email_asking_to_rebook(sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    sms = h.SmsRecorder()
    host = await rig.start(sms=sms)
    await rig.register(ACCOUNT, EMAIL, PHONE)
    await rig.publish(app.AppointmentSlotCancelled(
        slot_id="slot-1", applicant_id=ACCOUNT, application_id="app-1", application_number="2026110108000042",
        point_code="11010801", point_name="海淀区教师发展中心确认点", point_address="北京市海淀区",
        slot_date="2027-03-05", slot_start_time="09:00", slot_end_time="10:00", reason="场地临时检修"))
    await wait_for(lambda: len(handler.to(EMAIL)) == 2, timeout=15, what="the cancellation email")
    email = handler.to(EMAIL)[-1]
    for words in ("2027年3月5日 09:00–10:00", "场地临时检修", "重新预约", "2026110108000042", "book another slot"):
        assert words in email.text, words
    listed = await rig.inbox(host).ListInboxMessages(pb.ListInboxMessagesRequest(), metadata=h.actor(ACCOUNT))
    newest = listed.messages[0]
    assert "重新预约" in newest.title and "场地临时检修" in newest.body
    assert not sms.to(PHONE)  # in-app and email only
