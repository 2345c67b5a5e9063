"""Retries, isolation of failures, the per-recipient limit and the dead-letter queue, end to end."""

from __future__ import annotations

import asyncio

import aio_pika
from testkit import wait_for
from tqr.identity.v1 import events_pb2 as idn

EMAIL, PHONE, ACCOUNT = "teacher@example.com", "13812345678", "acc-1"


def _verified(account_id: str = ACCOUNT) -> idn.RealNameVerified:
    return idn.RealNameVerified(account_id=account_id, name="张晓红")


def _decided(account_id: str = ACCOUNT) -> idn.ManualReviewDecided:
    return idn.ManualReviewDecided(account_id=account_id, case_id="MR-1", decision="APPROVED")


async def test_email_server_failing_twice_then_accepting_delivers_once(sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    handler.fail_data_times = 2
    rig = rig_factory(sqlite_url)
    await rig.start(sms=h.SmsRecorder())
    await rig.register(ACCOUNT, EMAIL, PHONE)
    await wait_for(lambda: handler.emails, timeout=15, what="the email after two refusals")
    [row] = await wait_for(lambda: _rows_with_status(rig, "SENT", channel="email"), timeout=10, what="SENT")
    await asyncio.sleep(0.5)
    assert handler.data_attempts == 3
    assert len(handler.emails) == 1
    assert row.attempts == 3
    assert "queued as TQR-TEST" in row.provider_answer
    # The same Message-ID on every attempt lets a receiving server drop duplicates.
    assert handler.emails[0].message_id == f"<{row.delivery_id}@tqr.example.cn>"


async def test_sms_provider_failing_twice_then_succeeding_sends_once(sqlite_url, rig_factory, smtp, h):
    rig = rig_factory(sqlite_url)
    sms = h.SmsRecorder(fail_times=2)
    await rig.start(sms=sms)
    await rig.register(ACCOUNT, EMAIL, PHONE)
    await rig.publish(_decided())
    [row] = await wait_for(lambda: _rows_with_status(rig, "SENT", channel="sms"), timeout=15, what="SMS sent")
    await asyncio.sleep(0.3)
    assert sms.calls == 3 and len(sms.sent) == 1
    assert row.attempts == 3
    assert sms.sent[0]["request_id"] == row.idempotency_key  # the provider can de-duplicate on it


async def test_a_sent_email_whose_marking_hits_a_lost_connection_is_marked_not_sent_again(
        sqlite_url, rig_factory, smtp, h, monkeypatch):
    """The database connection drops between the send and its SENT mark: the mark is written on a
    retry. Left unmarked, the claim would run out (after the lease) and the email go out twice."""
    from sqlalchemy import exc as sa_exc
    from tqr_notification.service_layer import dispatcher

    failures = {"left": 1}

    async def finish_after_a_dropped_connection(*args, **kwargs):  # type: ignore[no-untyped-def]
        if failures["left"]:
            failures["left"] -= 1
            raise sa_exc.InterfaceError("UPDATE deliveries", {}, ConnectionResetError("connection was closed"))
        return await real_finish(*args, **kwargs)

    real_finish = dispatcher.finish
    monkeypatch.setattr(dispatcher, "finish", finish_after_a_dropped_connection)
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    await rig.start(sms=h.SmsRecorder(), dispatch_lease_seconds=4)
    await rig.register(ACCOUNT, EMAIL, PHONE)
    [row] = await wait_for(lambda: _rows_with_status(rig, "SENT", channel="email"), timeout=10, what="SENT")
    assert failures["left"] == 0  # the connection did drop on the first mark
    await asyncio.sleep(4.5)  # past the lease: an unmarked claim would have been taken and sent again
    assert len(handler.emails) == 1 and row.attempts == 1


async def test_permanent_failure_is_recorded_and_does_not_hold_up_the_others(sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    handler.refuse["nobody@example.com"] = "550 5.1.1 mailbox unavailable"
    rig = rig_factory(sqlite_url)
    await rig.start(sms=h.SmsRecorder())
    await rig.register("acc-bad", "nobody@example.com", "13800000000")
    await rig.register(ACCOUNT, EMAIL, PHONE)
    for account in ("acc-bad", ACCOUNT):
        await rig.publish(_verified(account))
    await wait_for(lambda: len(handler.to(EMAIL)) == 2, timeout=15, what="the good recipient's emails")

    async def both_refusals_recorded() -> list[object] | None:
        # Each message is recorded as it is refused: the first may be there before the second.
        rows = await _rows_with_status(rig, "FAILED", recipient_id="acc-bad")
        return rows if len(rows) >= 2 else None

    failed = await wait_for(both_refusals_recorded, timeout=10, what="both refusals recorded")
    assert len(failed) == 2
    assert all(row.attempts == 1 and "550" in row.provider_answer for row in failed)
    assert "nobody@example.com" not in failed[0].provider_answer


async def test_recipient_over_the_limit_is_held_back_and_recorded(sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    host = await rig.start(sms=h.SmsRecorder(), recipient_limit_max_messages=2)
    await rig.register(ACCOUNT, EMAIL, PHONE)
    await wait_for(lambda: handler.emails, timeout=15, what="the welcome email")
    for _ in range(2):
        await rig.publish(_verified())
    [held] = await wait_for(lambda: _rows_with_status(rig, "HELD", channel="email"), timeout=15, what="HELD")
    await asyncio.sleep(0.5)
    assert len(handler.to(EMAIL)) == 2
    assert held.provider_answer.startswith("recipient limit: 2/2 general messages")
    assert held.attempts == 0
    # The inbox is never limited: nothing is pushed to the person.
    from tqr.notification.v1 import notification_pb2 as pb

    listed = await rig.inbox(host).ListInboxMessages(pb.ListInboxMessagesRequest(), metadata=h.actor(ACCOUNT))
    assert len(listed.messages) == 3


async def test_malformed_events_are_parked_in_the_dead_letter_queue_and_the_consumer_goes_on(
        sqlite_url, rig_factory, smtp, h):
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    await rig.start(sms=h.SmsRecorder(), delivery_limit=2)
    await rig.register(ACCOUNT, EMAIL, PHONE)
    assert rig.connection is not None
    channel = await rig.connection.channel()
    exchange = await channel.get_exchange(rig.exchange)
    await exchange.publish(aio_pika.Message(b"\x00 not an envelope"), routing_key="tqr.identity.v1.RealNameVerified")
    await rig.publish(idn.RealNameVerified(name="no account id"))  # readable, but says nobody to tell
    await rig.publish(_verified())
    await wait_for(lambda: len(handler.to(EMAIL)) == 2, timeout=20, what="the good event after the bad ones")
    dlq = await channel.get_queue(f"{rig.queue_prefix}notification.events.dlq")

    async def parked() -> list[aio_pika.abc.AbstractIncomingMessage]:
        found = []
        while (message := await dlq.get(fail=False, no_ack=True)) is not None:
            found.append(message)
        return found

    seen: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def both_parked() -> bool:
        seen.extend(await parked())
        return len(seen) >= 2

    await wait_for(both_parked, timeout=20, what="both bad events in the dead-letter queue")
    assert sorted(m.body == b"\x00 not an envelope" for m in seen) == [False, True]
    await channel.close()


async def _rows_with_status(rig, status: str, **where: str) -> list:  # type: ignore[no-untyped-def]
    return [row for row in await rig.rows(**where) if row.status == status]
