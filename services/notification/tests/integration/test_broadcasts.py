"""Broadcasts (R-STAFF-7) through the real service: PostgreSQL, RabbitMQ, Redis and a loopback SMTP
server. Each recipient gets one inbox message and (with an email address on file) one email however
often their page comes; broadcast copies go on the low-priority path, so a sign-in code queued while
a 10,000-recipient broadcast drains goes out ahead of the broadcast's remaining copies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from servicekit.sealing import DEV_KEYS
from sqlalchemy import func, insert, select
from testkit import wait_for
from tqr.application.v1 import broadcast_pb2 as bc
from tqr.identity.v1 import events_pb2 as idn
from tqr.notification.v1 import notification_pb2 as pb
from tqr_notification.adapters.orm import deliveries, inbox_messages, recipients
from tqr_notification.adapters.sealing import Sealers
from tqr_notification.config import DEV_FIELD_KEYS
from tqr_notification.domain.delivery import DeliveryStatus

BROADCAST = "tqr.application.v1.BroadcastPosted"


def page(broadcast_id: str, applicants: list[str], number: int = 1, pages: int = 1) -> bc.BroadcastPosted:
    return bc.BroadcastPosted(
        broadcast_id=broadcast_id, page=number, pages=pages, applicant_ids=applicants,
        author_org_name="海淀区教育委员会", author_role="AUTHORITY_ADMIN", subject_zh="周五确认点暂停服务",
        body_zh="本周五确认点暂停服务，请改在周六前来。", subject_en="Point closed on Friday",
        body_en="The point is closed on Friday; please come on Saturday.")


async def _count(rig, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with rig.database().connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def test_r_staff_7_each_recipient_gets_a_broadcast_once_in_the_inbox_and_by_email(db_url, rig_factory,
                                                                                         smtp, h):
    """On SQLite (make run's default) and PostgreSQL."""
    handler, _ = smtp
    rig = rig_factory(db_url)
    host = await rig.start(sms=h.SmsRecorder())
    await rig.register("acc-a", "a@example.com", "13800000001")
    await rig.register("acc-b", "b@example.com", "13800000002")
    await wait_for(lambda: _equals(_count(rig, deliveries, deliveries.c.channel == "email"), 2), timeout=15,
                   what="both welcomes staged")
    # acc-c has no contact on file: the inbox only. acc-a twice in one page, and the page published
    # twice (a new event id, as a re-sent page would have): still one copy each.
    broadcast_id = str(uuid.uuid4())
    await rig.publish(page(broadcast_id, ["acc-a", "acc-b", "acc-c", "acc-a"]))
    await rig.publish(page(broadcast_id, ["acc-b", "acc-a"]))
    broadcast_rows = (deliveries.c.event_type == BROADCAST,)
    await wait_for(lambda: _equals(_count(rig, deliveries, *broadcast_rows, deliveries.c.status == "SENT"), 5),
                   timeout=20, what="three inbox copies and two emails sent")
    await wait_for(lambda: len(handler.to("b@example.com")) == 2, timeout=10, what="b's email")  # welcome too

    rows = await rig.rows(event_type=BROADCAST)
    assert sorted((r.channel, r.recipient_id) for r in rows) == [
        ("email", "acc-a"), ("email", "acc-b"), ("inapp", "acc-a"), ("inapp", "acc-b"), ("inapp", "acc-c")]
    assert all(r.idempotency_key.startswith(f"broadcast:{broadcast_id}:") and r.priority == 1 for r in rows)
    assert await _count(rig, inbox_messages, inbox_messages.c.event_type == BROADCAST) == 3
    mails = [m for m in handler.emails if "周五确认点暂停服务" in m.subject]
    assert sorted(m.to[0] for m in mails) == ["a@example.com", "b@example.com"]
    assert "请改在周六前来" in mails[0].text and "please come on Saturday" in mails[0].text

    stub = rig.inbox(host)
    for language, title, body in (("zh", "周五确认点暂停服务", "—— 海淀区教育委员会"),
                                  ("en", "Point closed on Friday", "please come on Saturday")):
        reply = await stub.ListInboxMessages(pb.ListInboxMessagesRequest(language=language), metadata=h.actor("acc-c"))
        assert [m.title for m in reply.messages] == [title]
        assert body in reply.messages[0].body


async def test_r_staff_7_a_code_goes_out_ahead_of_a_draining_10000_recipient_broadcast(pg_url, rig_factory, smtp,
                                                                                         h):
    """Ordering, not timing: the code's email arrives while broadcast copies still wait to be sent.
    Without the low-priority path the code would be claimed after every copy queued before it."""
    handler, _ = smtp
    rig = rig_factory(pg_url)
    await rig.start(sms=h.SmsRecorder(), dispatch_concurrency=16, broadcast_concurrency=4,
                    broadcast_rate_per_second=200.0)
    count, size = 10_000, 500
    applicants = [f"acc-{n:05d}" for n in range(count)]
    at_rest = Sealers.from_keys(DEV_KEYS, DEV_FIELD_KEYS).at_rest
    now = datetime.now(UTC)
    async with rig.database().begin() as connection:
        await connection.execute(insert(recipients), [
            {"account_id": a, "email_sealed": at_rest.seal(f"{a}@example.com"), "mobile_sealed": None,
             "as_of": now, "updated_at": now} for a in applicants])
    broadcast_id = str(uuid.uuid4())
    pages = [applicants[i:i + size] for i in range(0, count, size)]
    for number, recipients_of_page in enumerate(pages, start=1):
        await rig.publish(page(broadcast_id, recipients_of_page, number, len(pages)))

    broadcast_emails = (deliveries.c.event_type == BROADCAST, deliveries.c.channel == "email")
    await wait_for(lambda: _equals(_count(rig, deliveries, *broadcast_emails), count), timeout=40,
                   what="every page staged")
    await wait_for(lambda: len(handler.emails) >= 50, timeout=20, what="the broadcast draining")

    code = idn.VerificationCodeRequested(
        account_hint="t***@example.com", purpose=idn.CODE_PURPOSE_LOGIN, channel=idn.CODE_CHANNEL_EMAIL,
        code="271828", expires_in_seconds=300, destination_sealed=h.CODE_DESTINATIONS.seal("teacher@example.com"))
    await rig.publish(code)
    await wait_for(lambda: handler.to("teacher@example.com"), timeout=20, what="the code's email")

    still_waiting = await _count(rig, deliveries, *broadcast_emails, deliveries.c.status == "QUEUED")
    sent_before_code = next(i for i, m in enumerate(handler.emails) if "teacher@example.com" in m.to)
    assert still_waiting > 0, "the broadcast had finished before the code went out"
    assert sent_before_code < count
    code_row = (await rig.rows(event_type="tqr.identity.v1.VerificationCodeRequested"))[0]
    assert code_row.status == DeliveryStatus.SENT.value and code_row.priority == 0


async def _equals(awaitable, expected: int) -> bool:  # type: ignore[no-untyped-def]
    return await awaitable == expected


