"""Which events tell a person something: to whom, through which channels, with which templates.

One explicit dict, ``CATALOGUE``, keyed by the full protobuf name of the event (the routing key).
The event's fields are not listed here: templates read them from the decoded message
(``message_view``), and a test checks every name a template uses against the event's descriptor.
Templates live in ``templates/<templates>/<channel>.<part>.j2``; the parts each channel needs are
in ``CHANNEL_PARTS``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from google.protobuf.message import Message
from tqr.application.v1 import broadcast_pb2 as broadcast_events
from tqr.application.v1 import events_pb2 as application_events
from tqr.identity.v1 import events_pb2 as identity_events

from tqr_notification.domain.message_view import enum_name


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    INAPP = "inapp"
    # The "alternative" code channel of R-ID-6 (a WeChat service account in the old system).
    ALTERNATIVE = "alternative"


# The template parts each channel renders, mapped onto RenderedMessage(subject, text, html).
CHANNEL_PARTS: dict[Channel, tuple[str, ...]] = {
    Channel.EMAIL: ("subject", "text", "html"),
    Channel.SMS: ("text",),
    Channel.INAPP: ("title", "body"),
    Channel.ALTERNATIVE: ("text",),
}

# Channels where delivery leaves our system and a person's phone or mailbox can be flooded.
EXTERNAL_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS, Channel.ALTERNATIVE})


class UnknownEvent(LookupError):
    """The event type is not in the catalogue (nothing to tell anyone)."""


class ChannelNotProduced(LookupError):
    """The event does not produce this channel, so there is no template for it."""


@dataclass(frozen=True)
class EventSpec:
    event: type[Message]
    # The folder of this event's templates under templates/.
    templates: str
    # The channels this event produces; with ``chosen_by`` set, the ones it may produce.
    channels: tuple[Channel, ...]
    # The field naming the account that receives it; None when the destination is sealed inside
    # the event (verification codes are sent to a contact, not to an account).
    recipient_field: str | None
    # An enum field naming the one channel of ``channels`` the person chose (R-ID-6).
    chosen_by: str | None = None
    # True for the one event that carries a secret; it must never be logged or stored in clear.
    carries_secret: bool = False
    # A repeated field naming many recipients (a broadcast's page): each gets its own copy, once
    # per (``dedupe_field``, recipient), on the low-priority delivery path.
    recipients_field: str | None = None
    dedupe_field: str | None = None

    @property
    def fans_out(self) -> bool:
        return self.recipients_field is not None

    @property
    def event_type(self) -> str:
        return self.event.DESCRIPTOR.full_name

    def template_name(self, channel: Channel, part: str) -> str:
        return f"{self.templates}/{channel.value}.{part}.j2"

    def template_names(self, channel: Channel) -> dict[str, str]:
        return {part: self.template_name(channel, part) for part in CHANNEL_PARTS[channel]}

    def channels_for(self, message: Message) -> tuple[Channel, ...]:
        if self.chosen_by is None:
            return self.channels
        named = enum_name(message, self.chosen_by)
        chosen = [channel for channel in self.channels if channel.name == named]
        if not chosen:
            raise ChannelNotProduced(f"{self.chosen_by} {named!r} is not one we deliver")
        return tuple(chosen)


_ALL = (Channel.INAPP, Channel.EMAIL, Channel.SMS)
_INAPP_EMAIL = (Channel.INAPP, Channel.EMAIL)

_SPECS = (
    # R-ID-6 / R-ID-11: the code goes only through the channel the person chose.
    EventSpec(identity_events.VerificationCodeRequested, "verification_code_requested",
              (Channel.SMS, Channel.EMAIL, Channel.ALTERNATIVE), None, chosen_by="channel", carries_secret=True),
    EventSpec(identity_events.AccountRegistered, "account_registered", _INAPP_EMAIL, "account_id"),
    EventSpec(identity_events.RealNameVerified, "real_name_verified", _INAPP_EMAIL, "account_id"),
    EventSpec(identity_events.RealNameVerificationFailed, "real_name_verification_failed", _INAPP_EMAIL,
              "account_id"),
    EventSpec(identity_events.ManualReviewRequested, "manual_review_requested", _INAPP_EMAIL, "account_id"),
    # The person waited up to 7 working days for this one: worth a short SMS too.
    EventSpec(identity_events.ManualReviewDecided, "manual_review_decided", _ALL, "account_id"),
    # A security notice: SMS and email so that a stranger's change is noticed quickly.
    EventSpec(identity_events.PasswordChanged, "password_changed", _ALL, "account_id"),
    # R-ID-14: a notice to the previous address (sealed in the event), so that a change its owner
    # did not make is noticed where the owner still reads; the new address gets nothing here.
    EventSpec(identity_events.EmailChanged, "email_changed", (Channel.EMAIL,), None),
    EventSpec(identity_events.SupportRequestDecided, "support_request_decided", _INAPP_EMAIL, "account_id"),
    # The application number and the confirmation window are what the person needs next.
    EventSpec(application_events.ApplicationSubmitted, "application_submitted", _ALL, "applicant_id"),
    # No SMS: edits are frequent; the email lets a person notice a change they did not make.
    EventSpec(application_events.ApplicationUpdated, "application_updated", _INAPP_EMAIL, "applicant_id"),
    # R-APP-2: every status change is notified, with its meaning and what to do next.
    EventSpec(application_events.ApplicationStatusChanged, "application_status_changed", _ALL, "applicant_id"),
    # R-APP-4: messages from the authority or the point.
    EventSpec(application_events.MessagePosted, "message_posted", _INAPP_EMAIL, "applicant_id"),
    # R-STAFF-7: a broadcast, one page of recipients an event; in the inbox and by email (no SMS).
    EventSpec(broadcast_events.BroadcastPosted, "broadcast_posted", _INAPP_EMAIL, None,
              recipients_field="applicant_ids", dedupe_field="broadcast_id"),
    # R-SLOT-3: the point cancelled the booked slot; the person is asked to book another.
    EventSpec(application_events.AppointmentSlotCancelled, "appointment_slot_cancelled", _INAPP_EMAIL,
              "applicant_id"),
)

CATALOGUE: dict[str, EventSpec] = {spec.event_type: spec for spec in _SPECS}


def spec_for(event_type: str) -> EventSpec:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise UnknownEvent(event_type) from None
