"""InboxService over real gRPC, the development SMTP sink started by the service itself, and
DevOutboxService (the gateway's outbox page reads the codes through it)."""

from __future__ import annotations

import grpc
import pytest
from testkit import free_port, wait_for
from tqr.identity.v1 import events_pb2 as idn
from tqr.notification.v1 import notification_pb2 as pb
from tqr.notification.v1 import notification_pb2_grpc
from tqr_notification.channels.outbox_files import read_outbox


def _verified(account_id: str, name: str) -> idn.RealNameVerified:
    return idn.RealNameVerified(account_id=account_id, name=name)


async def test_a_person_lists_counts_and_marks_only_their_own_messages(sqlite_url, rig_factory, smtp, h):
    rig = rig_factory(sqlite_url)
    host = await rig.start(sms=h.SmsRecorder())
    await rig.register("acc-a", "a@example.com", "13800000001", name="甲")
    await rig.register("acc-b", "b@example.com", "13800000002", name="乙")
    for name in ("一", "二"):
        await rig.publish(_verified("acc-a", name))
    stub = rig.inbox(host)
    me, other = h.actor("acc-a"), h.actor("acc-b")

    async def unread(who: tuple) -> int:  # type: ignore[type-arg]
        return int((await stub.CountUnreadMessages(pb.CountUnreadMessagesRequest(), metadata=who)).unread)

    await wait_for(lambda: _equals(unread(me), 3), timeout=15, what="three messages for a")
    # Events are not ordered across aggregates: b's welcome may still be on its way.
    await wait_for(lambda: _equals(unread(other), 1), timeout=15, what="one message for b")

    first = await stub.ListInboxMessages(pb.ListInboxMessagesRequest(page_size=2), metadata=me)
    assert len(first.messages) == 2 and first.next_page_token and first.unread == 3
    rest = await stub.ListInboxMessages(
        pb.ListInboxMessagesRequest(page_size=2, page_token=first.next_page_token), metadata=me)
    assert len(rest.messages) == 1 and rest.next_page_token == ""
    everything = [*first.messages, *rest.messages]
    assert len({m.message_id for m in everything}) == 3
    assert everything[0].created_at >= everything[-1].created_at  # newest first

    marked = await stub.MarkInboxMessageRead(pb.MarkInboxMessageReadRequest(message_id=everything[0].message_id),
                                             metadata=me)
    assert marked.unread == 2
    again = await stub.MarkInboxMessageRead(pb.MarkInboxMessageReadRequest(message_id=everything[0].message_id),
                                            metadata=me)
    assert again.unread == 2  # marking twice is harmless
    unread_only = await stub.ListInboxMessages(pb.ListInboxMessagesRequest(unread_only=True), metadata=me)
    assert everything[0].message_id not in {m.message_id for m in unread_only.messages}

    with pytest.raises(grpc.aio.AioRpcError) as someone_elses:
        await stub.MarkInboxMessageRead(pb.MarkInboxMessageReadRequest(message_id=everything[1].message_id),
                                        metadata=other)
    assert someone_elses.value.code() is grpc.StatusCode.NOT_FOUND
    assert await unread(me) == 2
    with pytest.raises(grpc.aio.AioRpcError) as peeking:
        await stub.ListInboxMessages(pb.ListInboxMessagesRequest(recipient_id="acc-a"), metadata=other)
    assert peeking.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await stub.CountUnreadMessages(pb.CountUnreadMessagesRequest(recipient_id="acc-a"))
    assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_the_inbox_answers_in_the_language_asked_with_its_paragraphs(sqlite_url, rig_factory, smtp, h):
    from tqr.application.v1 import events_pb2 as app_events

    rig = rig_factory(sqlite_url)
    host = await rig.start(sms=h.SmsRecorder())
    await rig.register("acc-a", "a@example.com", "13800000001", name="甲")
    await rig.publish(app_events.MessagePosted(
        application_id="app-1", application_number="2026110105000123", applicant_id="acc-a",
        author_org_name="海淀确认点", author_role="POINT_STAFF", body="第一段。\n\n第二段。", message_id="m-1"))
    stub, me = rig.inbox(host), h.actor("acc-a")

    async def posted(language: str) -> pb.InboxMessage | None:
        reply = await stub.ListInboxMessages(pb.ListInboxMessagesRequest(language=language), metadata=me)
        return next((m for m in reply.messages if m.event_type.endswith("MessagePosted")), None)

    zh = await wait_for(lambda: posted("zh"), timeout=15, what="the message in the inbox")
    en = await posted("en")
    assert en is not None
    assert zh.title == "海淀确认点给您留言" and "New message" not in zh.title
    assert "留言" in zh.body and "wrote" not in zh.body and "第一段。\n\n第二段。" in zh.body
    assert en.title == "New message from 海淀确认点" and "留言" not in en.body
    assert "wrote" in en.body and "第一段。\n\n第二段。" in en.body  # what staff wrote, as written
    assert (await posted("")).body == zh.body  # Chinese unless English is asked for


async def test_dev_smtp_sink_starts_once_and_every_replica_sends_through_it(sqlite_url, rig_factory, smtp, tmp_path):
    rig = rig_factory(sqlite_url)
    port = free_port()
    outbox = tmp_path / "dev-outbox"
    common = dict(dev_smtp_sink=True, smtp_port=port, outbox_dir=str(outbox))
    first = await rig.start(**common)
    second = await rig.start(**common)  # cannot bind the port: must start anyway and use the first's
    assert first.dev_smtp_sink.sink is not None
    assert second.dev_smtp_sink.sink is None
    await rig.register("acc-1", "teacher@example.com", "13812345678")
    await rig.publish(idn.ManualReviewDecided(account_id="acc-1", case_id="MR-1", decision="APPROVED"))
    records = await wait_for(lambda: _at_least(read_outbox(outbox), 3), timeout=15, what="two emails and an SMS")
    kinds = sorted(r["kind"] for r in records)
    assert kinds == ["email", "email", "sms"]
    assert {tuple(r["to"]) for r in records if r["kind"] == "email"} == {("teacher@example.com",)}
    assert [r["to"] for r in records if r["kind"] == "sms"] == ["13812345678"]
    await first.stop()  # the sink stops with the replica that started it
    with pytest.raises(OSError):
        import socket

        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _dev_outbox(host) -> notification_pb2_grpc.DevOutboxServiceStub:  # type: ignore[no-untyped-def]
    return notification_pb2_grpc.DevOutboxServiceStub(grpc.aio.insecure_channel(f"127.0.0.1:{host.port}"))


async def test_dev_outbox_lists_the_codes_the_development_channels_kept_newest_first(sqlite_url, rig_factory, smtp, h):
    rig = rig_factory(sqlite_url)
    host = await rig.start(environment="development")  # the development SMS providers write the outbox files
    for channel, mobile, code in ((idn.CODE_CHANNEL_SMS, "13900001111", "604215"),
                                  (idn.CODE_CHANNEL_ALTERNATIVE, "13900002222", "318877")):
        await rig.publish(idn.VerificationCodeRequested(
            account_hint="139****1111", purpose=idn.CODE_PURPOSE_REGISTER, channel=channel, code=code,
            expires_in_seconds=300, destination_sealed=h.CODE_DESTINATIONS.seal(mobile)))
        # One at a time, so that "newest first" has an order to keep.
        await wait_for(lambda: _at_least(read_outbox(rig.outbox_dir), 1 if code == "604215" else 2), timeout=15,
                       what=f"the code {code} in the outbox")
    reply = await _dev_outbox(host).ListOutboxMessages(pb.ListOutboxMessagesRequest())
    assert [(m.kind, m.channel, list(m.recipients), m.code) for m in reply.messages] == [
        (pb.OUTBOX_MESSAGE_KIND_SMS, "alternative", ["13900002222"], "318877"),
        (pb.OUTBOX_MESSAGE_KIND_SMS, "sms", ["13900001111"], "604215"),
    ]
    assert "604215" in reply.messages[1].text
    assert reply.messages[0].received_at.ToDatetime() >= reply.messages[1].received_at.ToDatetime()
    assert len((await _dev_outbox(host).ListOutboxMessages(pb.ListOutboxMessagesRequest(limit=1))).messages) == 1


async def test_dev_outbox_does_not_exist_outside_development(sqlite_url, rig_factory, smtp):
    host = await rig_factory(sqlite_url).start()  # environment "test"
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await _dev_outbox(host).ListOutboxMessages(pb.ListOutboxMessagesRequest())
    assert missing.value.code() is grpc.StatusCode.UNIMPLEMENTED


async def _equals(value, expected: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(await value == expected)


def _at_least(records: list, count: int) -> list | None:  # type: ignore[type-arg]
    return records if len(records) >= count else None
