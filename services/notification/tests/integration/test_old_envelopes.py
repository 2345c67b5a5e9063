"""Events written before identity's times became Timestamps still reach people, worded the same.

Events wait in outboxes and queues across a release. The envelopes below are the bytes the
previous release wrote (captured with `git show main:` generated code, before the change): they
carry `changed_at` only as the ISO string in field 2, now the deprecated `changed_at_iso`. They go
through the bus into the real consumer; what the person reads must equal what a new event, with
the Timestamp, produces.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import envelope
from testkit import wait_for
from tqr.identity.v1 import events_pb2 as idn
from tqr_notification.domain.message_view import view_of

ACCOUNT, EMAIL, PHONE = "acc-1", "teacher@example.com", "13812345678"
# PasswordChanged(account_id="acc-1", changed_at="2026-03-14T09:02:03+08:00", via="RESET"), enveloped.
OLD_PASSWORD_CHANGED = bytes.fromhex(
    "0a2430303030303030302d303030302d343030302d383030302d303030303030303030303031121f7471722e6964656e"
    "746974792e76312e50617373776f72644368616e6765641a06088be7d2cd0622086964656e746974792a056163632d31"
    "3206636f72722d31380142600a33747970652e676f6f676c65617069732e636f6d2f7471722e6964656e746974792e76"
    "312e50617373776f72644368616e67656412290a056163632d311219323032362d30332d31345430393a30323a30332b"
    "30383a30301a055245534554"
)
# EmailChanged(account_id="acc-2", changed_at=<the same>, masked_new_email="n***@example.com",
# destination_sealed="SEALED"), enveloped.
OLD_EMAIL_CHANGED = bytes.fromhex(
    "0a2430303030303030302d303030302d343030302d383030302d303030303030303030303031121c7471722e6964656e"
    "746974792e76312e456d61696c4368616e6765641a06088be7d2cd0622086964656e746974792a056163632d32320663"
    "6f72722d31380142700a30747970652e676f6f676c65617069732e636f6d2f7471722e6964656e746974792e76312e45"
    "6d61696c4368616e676564123c0a056163632d321219323032362d30332d31345430393a30323a30332b30383a30301a"
    "106e2a2a2a406578616d706c652e636f6d22065345414c4544"
)
OLD_ISO = "2026-03-14T09:02:03+08:00"
SAME_INSTANT = datetime(2026, 3, 14, 1, 2, 3, tzinfo=UTC)


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def test_old_envelopes_parse_and_read_back_their_time() -> None:
    for raw, message_class in ((OLD_PASSWORD_CHANGED, idn.PasswordChanged), (OLD_EMAIL_CHANGED, idn.EmailChanged)):
        event = envelope.unpack(envelope.parse(raw), message_class)
        assert not event.HasField("changed_at")
        assert view_of(event)["changed_at"] == OLD_ISO
        assert "changed_at_iso" not in view_of(event)


def test_the_deprecated_field_is_what_the_previous_release_wrote() -> None:
    """So building an event from the deprecated fields only is building an old event."""
    old = envelope.unpack(envelope.parse(OLD_EMAIL_CHANGED), idn.EmailChanged)
    rebuilt = idn.EmailChanged(account_id="acc-2", changed_at_iso=OLD_ISO,  # type: ignore[call-arg]
                               masked_new_email="n***@example.com", destination_sealed="SEALED")
    assert rebuilt.SerializeToString() == envelope.parse(OLD_EMAIL_CHANGED).payload.value
    assert old == rebuilt


def test_a_new_event_prefers_the_timestamp() -> None:
    event = idn.PasswordChanged(account_id=ACCOUNT, changed_at=_stamp(SAME_INSTANT), via="RESET",
                                changed_at_iso="1999-01-01T00:00:00Z")  # type: ignore[call-arg]
    assert view_of(event)["changed_at"] == SAME_INSTANT


async def test_an_old_password_changed_envelope_reaches_the_person_as_a_new_one_does(sqlite_url, rig_factory, smtp, h):
    rig = rig_factory(sqlite_url)
    sms = h.SmsRecorder()
    await rig.start(sms=sms)
    await rig.register(ACCOUNT, EMAIL, PHONE)
    old = envelope.parse(OLD_PASSWORD_CHANGED)
    await rig.publishers["identity"].publish(OLD_PASSWORD_CHANGED, event_type=old.type, event_id=old.event_id,
                                             correlation_id=old.correlation_id)
    await wait_for(lambda: len(sms.to(PHONE)) == 1, timeout=15, what="the SMS of the old event")
    await rig.publish(idn.PasswordChanged(account_id=ACCOUNT, changed_at=_stamp(SAME_INSTANT), via="RESET"))
    await wait_for(lambda: len(sms.to(PHONE)) == 2, timeout=15, what="the SMS of the new event")

    from_old, from_new = (s["text"] for s in sms.to(PHONE))
    assert "2026年3月14日 09:02" in from_old
    assert from_old == from_new
    assert {row.status for row in await rig.rows(event_id=old.event_id)} == {"SENT"}


async def test_an_old_email_changed_envelope_reaches_the_previous_address(sqlite_url, rig_factory, smtp, h):
    """Built from the deprecated field only (the test above shows that is the old writer's bytes),
    with a destination the notification service can open."""
    handler, _ = smtp
    rig = rig_factory(sqlite_url)
    await rig.start(sms=h.SmsRecorder())
    old_event = idn.EmailChanged(account_id=ACCOUNT, changed_at_iso=OLD_ISO,  # type: ignore[call-arg]
                                 masked_new_email="n***@example.com",
                                 destination_sealed=h.CODE_DESTINATIONS.seal(EMAIL))
    await rig.publish(old_event)
    await wait_for(lambda: handler.to(EMAIL), timeout=15, what="the notice at the old address")
    [notice] = handler.to(EMAIL)
    assert "2026年3月14日 09:02" in notice.text and "n***@example.com" in notice.text
