"""Reactions to identity and application events.

Each handler runs inside the consumer's transaction, together with the consumer's record of the
event id. For every channel the event produces it renders the message and writes one delivery row
whose UNIQUE idempotency key is (event, channel, recipient); in-app messages are written to the
inbox in the same transaction and their row is SENT at once. Email and SMS rows are QUEUED for the
dispatcher, so the broker's redelivery of an event can never queue a message twice.

An event we cannot act on (no recipient, a destination that does not open, an unknown code channel)
raises; the consumer retries it and the broker then parks it in the dead-letter queue.
"""

from __future__ import annotations

from datetime import UTC

from google.protobuf.message import Message
from servicekit.bus.consumer import EventContext, Subscription, subscriptions
from servicekit.sealing import SealError
from sqlalchemy import event as sa_event
from tqr.identity.v1 import events_pb2 as identity_events

from tqr_notification.adapters.delivery_repository import (
    FanOutCopy,
    NewDelivery,
    stage_delivery,
    stage_fan_out,
    stage_inbox_message,
)
from tqr_notification.adapters.recipient_directory import record_contact, with_email
from tqr_notification.domain.catalogue import CATALOGUE, Channel, EventSpec, spec_for
from tqr_notification.domain.recipient_limit import recipient_digest
from tqr_notification.domain.rendering import render, render_inapp_by_language
from tqr_notification.service_layer.context import NotificationContext
from tqr_notification.service_layer.message_content import seal_content


class UndeliverableEvent(ValueError):
    """The event cannot be turned into messages; never says more than the event type and field."""


def build_subscriptions(nctx: NotificationContext) -> dict[str, Subscription]:
    async def on_notifiable(ctx: EventContext, event: Message) -> None:
        await notify(nctx, ctx, event)

    async def on_fan_out(ctx: EventContext, event: Message) -> None:
        await notify_many(nctx, ctx, event)

    async def on_contact_changed(ctx: EventContext, event: identity_events.ContactDetailsChanged) -> None:
        await remember_contact(nctx, ctx, event.account_id, event.email_sealed, event.mobile_sealed)

    return subscriptions(
        # Every event that tells a person something; the catalogue says to whom and how.
        *(Subscription(spec.event, on_notifiable) for spec in CATALOGUE.values() if not spec.fans_out),
        *(Subscription(spec.event, on_fan_out) for spec in CATALOGUE.values() if spec.fans_out),
        Subscription(identity_events.ContactDetailsChanged, on_contact_changed),
    )


async def remember_contact(
    nctx: NotificationContext, ctx: EventContext, account_id: str, email_sealed: str, mobile_sealed: str
) -> None:
    if not account_id:
        raise UndeliverableEvent(f"{ctx.envelope.type} has no account_id")
    try:
        email = nctx.sealers.contacts.open(email_sealed) if email_sealed else None
        mobile = nctx.sealers.contacts.open(mobile_sealed) if mobile_sealed else None
    except SealError as exc:
        raise UndeliverableEvent(f"{ctx.envelope.type}: a sealed contact does not open") from exc
    await record_contact(
        ctx.session, nctx.sealers, account_id, email=email, mobile=mobile,
        as_of=ctx.envelope.occurred_at.ToDatetime(tzinfo=UTC), now=nctx.clock.now(),
    )


async def notify(nctx: NotificationContext, ctx: EventContext, event: Message) -> None:
    event_type = ctx.envelope.type
    spec = spec_for(event_type)
    if isinstance(event, identity_events.AccountRegistered):
        await remember_contact(nctx, ctx, event.account_id, event.email_sealed, event.mobile_sealed)
    recipient_id, destination = _recipient(nctx, spec, event)
    now = nctx.clock.now()
    at_rest = nctx.sealers.at_rest
    for channel in spec.channels_for(event):
        rendered = render(event, channel, site_url=nctx.site_url)
        to = destination or _requested_contact(nctx, event, channel)
        new = NewDelivery(
            event_id=ctx.envelope.event_id, event_type=event_type, channel=channel.value,
            recipient_id=recipient_id, content_sealed=seal_content(at_rest, rendered),
            destination_sealed=at_rest.seal(to) if to else None,
        )
        if channel is Channel.INAPP:
            message_id = await stage_inbox_message(
                ctx.session, recipient_id=recipient_id, event_id=new.event_id, event_type=event_type,
                wording=render_inapp_by_language(event, site_url=nctx.site_url), now=now,
            )
            await stage_delivery(ctx.session, new, now, delivered_in_app=message_id)
        else:
            await stage_delivery(ctx.session, new, now)
    wake = nctx.wake_dispatcher
    sa_event.listen(ctx.session.sync_session, "after_commit", lambda _session: wake(), once=True)


async def notify_many(nctx: NotificationContext, ctx: EventContext, event: Message) -> None:
    """A message to many (R-STAFF-7: one page of a broadcast's recipients). Rendered once for the
    page; each recipient gets an inbox message and, when the directory has an email address for
    them, an email on the low-priority path, once per (broadcast, recipient)."""
    event_type = ctx.envelope.type
    spec = spec_for(event_type)
    assert spec.recipients_field is not None and spec.dedupe_field is not None
    dedupe = str(getattr(event, spec.dedupe_field))
    recipients = list(dict.fromkeys(str(r) for r in getattr(event, spec.recipients_field) if r))
    if not dedupe or not recipients:
        raise UndeliverableEvent(f"{event_type} has no {spec.dedupe_field} or no {spec.recipients_field}")
    at_rest = nctx.sealers.at_rest
    reachable = await with_email(ctx.session, recipients)
    await stage_fan_out(
        ctx.session, event_id=ctx.envelope.event_id, event_type=event_type,
        dedupe_id=f"{spec.dedupe_field.removesuffix('_id')}:{dedupe}",
        copies=[FanOutCopy(r, r in reachable) for r in recipients],
        inapp_sealed=seal_content(at_rest, render(event, Channel.INAPP, site_url=nctx.site_url)),
        email_sealed=seal_content(at_rest, render(event, Channel.EMAIL, site_url=nctx.site_url)),
        wording=render_inapp_by_language(event, site_url=nctx.site_url), now=nctx.clock.now(),
    )
    wake = nctx.wake_dispatcher
    sa_event.listen(ctx.session.sync_session, "after_commit", lambda _session: wake(), once=True)


def _requested_contact(nctx: NotificationContext, event: Message, channel: Channel) -> str | None:
    """R-ID-11: someone who asked for new contact details without signing in has lost the old ones,
    so the outcome goes to the email or mobile they asked for, not to the directory's."""
    if not isinstance(event, identity_events.SupportRequestDecided) or not event.without_sign_in:
        return None
    sealed = {Channel.EMAIL: event.requested_email_sealed, Channel.SMS: event.requested_mobile_sealed}.get(channel)
    return nctx.sealers.contacts.open(sealed) if sealed else None


def _recipient(nctx: NotificationContext, spec: EventSpec, event: Message) -> tuple[str, str | None]:
    """The recipient id for the idempotency key, and the destination when the event carries it."""
    if spec.recipient_field is not None:
        account_id = str(getattr(event, spec.recipient_field))
        if not account_id:
            raise UndeliverableEvent(f"{spec.event_type} has no {spec.recipient_field}")
        return account_id, None
    sealed = str(getattr(event, "destination_sealed", ""))
    if not sealed:
        raise UndeliverableEvent(f"{spec.event_type} has no destination_sealed")
    try:
        destination = nctx.sealers.code_destinations.open(sealed)
    except SealError as exc:
        raise UndeliverableEvent(f"{spec.event_type}: destination_sealed does not open") from exc
    return f"contact:{recipient_digest(nctx.recipient_hmac_key, destination)}", destination
