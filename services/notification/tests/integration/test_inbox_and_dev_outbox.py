"""InboxService over real gRPC, and the development SMTP sink started by the service itself."""

from __future__ import annotations

import grpc
import pytest
from servicekit.testing import free_port, wait_for
from tqr.identity.v1 import events_pb2 as idn
from tqr.notification.v1 import notification_pb2 as pb
from tqr_notification.channels.dev_outbox import read_outbox


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


async def _equals(value, expected: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(await value == expected)


def _at_least(records: list, count: int) -> list | None:  # type: ignore[type-arg]
    return records if len(records) >= count else None
