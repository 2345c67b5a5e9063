"""Application events stored by the previous version still parse and act the same (issue 18).

The bytes below are envelopes exactly as the application service wrote them before its events
carried typed fields (status names and ISO strings, now deprecated); they were produced by that
version's code and must never be regenerated. Each is replayed through the real consumers' registries
(decoding by the subscription's message class) and their handlers' own steps, next to the same event
as the current version writes it (Timestamps and enums): both must give the same result.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import envelope
from servicekit.bus.consumer import EventContext
from tqr.application.v1 import events_pb2 as ev
from tqr.application.v1 import status_pb2
from tqr_documents.entrypoints import consumer as documents_consumer
from tqr_notification.domain.catalogue import spec_for
from tqr_notification.domain.message_view import view_of
from tqr_notification.domain.rendering import render
from tqr_notification.service_layer import event_handlers as notification_consumer

SUBMITTED: Final = bytes.fromhex(
    "0a2430303030303030302d303030302d343030302d383030302d30303030303030303030303112277471722e6170706c"
    "69636174696f6e2e76312e4170706c69636174696f6e5375626d69747465641a060898ad8ecd06220b6170706c696361"
    "74696f6e2a056170702d313206636f72722d31380142ed020a3b747970652e676f6f676c65617069732e636f6d2f7471"
    "722e6170706c69636174696f6e2e76312e4170706c69636174696f6e5375626d697474656412ad020a056170702d3112"
    "10323032363131303130353030303132331a056163632d312209e5bca0e69993e7baa22a21e58c97e4baace5b882e4b8"
    "9ce59f8ee58cbae69599e882b2e5a794e59198e4bc9a3224e4b89ce59f8ee58cbae69599e5b888e58f91e5b195e4b8ad"
    "e5bf83e7a1aee8aea4e782b93a28e58c97e4baace5b882e4b89ce59f8ee58cbae5ae89e5ae9ae997a8e4b89ce5a4a7e8"
    "a19732e58fb74219323032362d30332d30325430393a30303a30302b30383a30304a19323032362d30332d3133543137"
    "3a30303a30302b30383a30305219323032362d30332d31305432333a35393a30302b30383a30305a0631313031303162"
    "093131303130312d30316a0e32303232313130303030303030317219323032362d30332d30315430313a33303a30302b"
    "30303a3030"
)
UPDATED: Final = bytes.fromhex(
    "0a2430303030303030302d303030302d343030302d383030302d30303030303030303030303212257471722e6170706c"
    "69636174696f6e2e76312e4170706c69636174696f6e557064617465641a060898ad8ecd06220b6170706c6963617469"
    "6f6e2a056170702d313206636f72722d3138014290010a39747970652e676f6f676c65617069732e636f6d2f7471722e"
    "6170706c69636174696f6e2e76312e4170706c69636174696f6e5570646174656412530a056170702d31121032303236"
    "3131303130353030303132331a056163632d31220b434552544946494341544522094d4154455249414c532a19323032"
    "362d30332d30315430323a30303a30302b30303a3030"
)
STATUS_CHANGED: Final = bytes.fromhex(
    "0a2430303030303030302d303030302d343030302d383030302d303030303030303030303033122b7471722e6170706c"
    "69636174696f6e2e76312e4170706c69636174696f6e5374617475734368616e6765641a060898ad8ecd06220b617070"
    "6c69636174696f6e2a056170702d313206636f72722d31380142a6020a3f747970652e676f6f676c65617069732e636f"
    "6d2f7471722e6170706c69636174696f6e2e76312e4170706c69636174696f6e5374617475734368616e67656412e201"
    "0a056170702d311210323032363131303130353030303132331a056163632d3122095355424d49545445442a144d4154"
    "455249414c535f494e434f4d504c4554453236e7bb8fe5aea1e6a0b8e69d90e69699e4b88de585a8efbc8ce8afb7e590"
    "91e7a1aee8aea4e69cbae69e84e68f90e4baa4e8a1a5e9bd904218e69599e5b888e8b584e6a0bce8af81e4b9a6e58e9f"
    "e4bbb64212e4bd93e6a380e59088e6a0bce8af81e6988e4a0b504f494e545f535441464652063131303130315a093131"
    "303130312d30316219323032362d30332d30355430333a31353a30302b30303a3030"
)
MESSAGE_POSTED: Final = bytes.fromhex(
    "0a2430303030303030302d303030302d343030302d383030302d30303030303030303030303412207471722e6170706c"
    "69636174696f6e2e76312e4d657373616765506f737465641a060898ad8ecd06220b6170706c69636174696f6e2a0561"
    "70702d313206636f72722d31380142d4010a34747970652e676f6f676c65617069732e636f6d2f7471722e6170706c69"
    "636174696f6e2e76312e4d657373616765506f73746564129b010a056170702d31121032303236313130313035303030"
    "3132331a056163632d312224e4b89ce59f8ee58cbae69599e5b888e58f91e5b195e4b8ade5bf83e7a1aee8aea4e782b9"
    "2a0b504f494e545f53544146463224e8afb7e690bae5b8a6e4bd93e6a380e59088e6a0bce8af81e6988ee58e9fe4bbb6"
    "e380823a056d73672d314219323032362d30332d30355430333a32303a30302b30303a3030"
)


def _ts(*args: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime(*args, tzinfo=UTC))  # type: ignore[misc]
    return stamp


# The same events as the current version writes them: typed fields only.
CURRENT: Final[dict[str, Message]] = {
    "SUBMITTED": ev.ApplicationSubmitted(
        application_id="app-1", application_number="2026110105000123", applicant_id="acc-1", applicant_name="张晓红",
        authority_name="北京市东城区教育委员会", point_name="东城区教师发展中心确认点",
        point_address="北京市东城区安定门东大街2号", confirm_start=_ts(2026, 3, 2, 1, 0),
        confirm_end=_ts(2026, 3, 13, 9, 0), online_end=_ts(2026, 3, 10, 15, 59), authority_code="110101",
        point_code="110101-01", certificate_number="20221100000001", submitted_at=_ts(2026, 3, 1, 1, 30)),
    "UPDATED": ev.ApplicationUpdated(
        application_id="app-1", application_number="2026110105000123", applicant_id="acc-1",
        changed_sections=["CERTIFICATE", "MATERIALS"], changed_at=_ts(2026, 3, 1, 2, 0)),
    "STATUS_CHANGED": ev.ApplicationStatusChanged(
        application_id="app-1", application_number="2026110105000123", applicant_id="acc-1",
        from_status=status_pb2.SUBMITTED, to_status=status_pb2.MATERIALS_INCOMPLETE,
        status_label="经审核材料不全，请向确认机构提交补齐", missing_materials=["教师资格证书原件", "体检合格证明"],
        actor_role="POINT_STAFF", authority_code="110101", point_code="110101-01", changed_at=_ts(2026, 3, 5, 3, 15)),
    "MESSAGE_POSTED": ev.MessagePosted(
        application_id="app-1", application_number="2026110105000123", applicant_id="acc-1",
        author_org_name="东城区教师发展中心确认点", author_role="POINT_STAFF", body="请携带体检合格证明原件。",
        message_id="msg-1", posted_at=_ts(2026, 3, 5, 3, 20)),
}
OLD: Final[dict[str, bytes]] = {"SUBMITTED": SUBMITTED, "UPDATED": UPDATED, "STATUS_CHANGED": STATUS_CHANGED,
                                "MESSAGE_POSTED": MESSAGE_POSTED}


def _current_bytes(name: str) -> bytes:
    built = envelope.build(CURRENT[name], producer="application", aggregate_id="app-1", correlation_id="corr-1",
                           occurred_at=datetime(2026, 3, 1, 1, 30, tzinfo=UTC))
    return bytes(built.SerializeToString())


def _decoded(registry: dict[str, Any], body: bytes) -> tuple[Any, Message]:
    """What the consumer does with a message body before the handler: parse, look up, unpack."""
    env = envelope.parse(body)
    subscription = registry[env.type]
    return subscription, envelope.unpack(env, subscription.message_class)


def _notification_result(body: bytes) -> list[tuple[str, Any]]:
    """Every message notification renders for the event, as its handler (``notify``) renders them."""
    registry = notification_consumer.build_subscriptions(None)  # type: ignore[arg-type]  # decoding only
    _, event = _decoded(registry, body)
    spec = spec_for(event.DESCRIPTOR.full_name)
    return [(channel.value, render(event, channel, site_url="https://tqr.example.cn"))
            for channel in spec.channels_for(event)]


@pytest.mark.parametrize("name", sorted(OLD))
def test_an_old_application_event_renders_as_the_current_one(name):
    old, current = _notification_result(OLD[name]), _notification_result(_current_bytes(name))
    assert old and old == current


def test_old_times_and_status_names_reach_the_notification_text():
    rendered = dict(_notification_result(OLD["SUBMITTED"]))
    assert "2026年3月2日" in rendered["inapp"].text and "2026年3月13日" in rendered["inapp"].text
    changed = dict(_notification_result(OLD["STATUS_CHANGED"]))
    assert "体检合格证明" in changed["inapp"].text and "材料不全" in (changed["inapp"].subject or "")


def test_the_old_fields_fill_in_only_when_the_typed_ones_are_unset():
    event = ev.ApplicationStatusChanged(to_status=status_pb2.REJECTED, to_status_name="CONFIRMED",
                                        changed_at=_ts(2026, 3, 5, 3, 15), changed_at_iso="2020-01-01T00:00:00+00:00")
    view = view_of(event)
    assert (view["to_status"], view["changed_at"]) == ("REJECTED", datetime(2026, 3, 5, 3, 15, tzinfo=UTC))
    assert "to_status_name" not in view and "changed_at_iso" not in view
    assert view_of(ev.ApplicationStatusChanged(to_status_name="CONFIRMED"))["to_status"] == "CONFIRMED"


@pytest.mark.parametrize("name", ["SUBMITTED", "UPDATED", "STATUS_CHANGED"])
async def test_documents_renders_ahead_for_an_old_event_as_for_the_current_one(name, monkeypatch):
    rendered_for: list[str] = []

    async def render_ahead(ctx: Any, session: Any, application_id: str) -> None:
        rendered_for.append(application_id)

    monkeypatch.setattr(documents_consumer, "render_ahead", render_ahead)
    registry = documents_consumer.build_subscriptions(None)  # type: ignore[arg-type]  # render_ahead replaced
    for body in (OLD[name], _current_bytes(name)):
        subscription, event = _decoded(registry, body)
        await subscription.handler(EventContext(None, envelope.parse(body), 0), event)  # type: ignore[arg-type]
    assert rendered_for == ["app-1", "app-1"]
