"""Which events tell the person something, through which channels, with which templates.

One explicit dict, ``CATALOGUE``, keyed by the full protobuf name of the event (the routing key).
Templates live in ``templates/<short_name>/<channel>.<part>.j2``; the parts each channel needs are in
``CHANNEL_PARTS``.

Payloads arrive as ``MessageToDict(..., preserving_proto_field_name=True)``, which *omits* fields
holding their default value (empty string, empty list, 0). ``EventSpec.fields`` lists every field
with its default so that ``normalize_payload`` can put them back before rendering with
StrictUndefined.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
    event_type: str
    short_name: str
    # Channels this event always produces. Code events choose theirs from the payload instead.
    channels: tuple[Channel, ...]
    fields: Mapping[str, Any]
    # Payload field naming the account that receives it; None when the destination is sealed
    # inside the event (verification codes are sent to a contact, not to an account).
    recipient_field: str | None
    # True for the one event that carries a secret; it must never be logged or stored in clear.
    carries_secret: bool = False

    def template_name(self, channel: Channel, part: str) -> str:
        return f"{self.short_name}/{channel.value}.{part}.j2"

    def template_names(self, channel: Channel) -> dict[str, str]:
        return {part: self.template_name(channel, part) for part in CHANNEL_PARTS[channel]}

    def channels_for(self, payload: Mapping[str, Any]) -> tuple[Channel, ...]:
        if self.event_type == VERIFICATION_CODE_REQUESTED:
            named = enum_value(payload.get("channel", ""), "CODE_CHANNEL_")
            if named not in _CODE_CHANNELS:
                raise ChannelNotProduced(f"code channel {named!r} is not one we deliver")
            return (_CODE_CHANNELS[named],)
        return self.channels

    def all_channels(self) -> tuple[Channel, ...]:
        """Every channel this event may produce (the set of templates that must exist)."""
        if self.event_type == VERIFICATION_CODE_REQUESTED:
            return tuple(_CODE_CHANNELS.values())
        return self.channels


def enum_value(raw: Any, prefix: str) -> str:
    """Accept both ``SMS`` and MessageToDict's ``CODE_CHANNEL_SMS`` spelling of an enum."""
    text = str(raw)
    return text[len(prefix) :] if text.startswith(prefix) else text


VERIFICATION_CODE_REQUESTED = "tqr.identity.v1.VerificationCodeRequested"

_CODE_CHANNELS: dict[str, Channel] = {
    "SMS": Channel.SMS,
    "EMAIL": Channel.EMAIL,
    "ALTERNATIVE": Channel.ALTERNATIVE,
}

_ALL = (Channel.INAPP, Channel.EMAIL, Channel.SMS)
_INAPP_EMAIL = (Channel.INAPP, Channel.EMAIL)


def _spec(
    event_type: str,
    short_name: str,
    channels: tuple[Channel, ...],
    fields: dict[str, Any],
    recipient_field: str | None,
    carries_secret: bool = False,
) -> tuple[str, EventSpec]:
    return event_type, EventSpec(event_type, short_name, channels, fields, recipient_field, carries_secret)


CATALOGUE: dict[str, EventSpec] = dict(
    [
        # R-ID-6 / R-ID-11: the code goes only through the channel the person chose.
        _spec(
            VERIFICATION_CODE_REQUESTED,
            "verification_code_requested",
            (),
            {"account_hint": "", "purpose": "", "channel": "", "code": "", "expires_in_seconds": 300},
            None,
            carries_secret=True,
        ),
        _spec(
            "tqr.identity.v1.AccountRegistered",
            "account_registered",
            _INAPP_EMAIL,
            {"account_id": "", "name": "", "masked_document_number": ""},
            "account_id",
        ),
        _spec(
            "tqr.identity.v1.RealNameVerified",
            "real_name_verified",
            _INAPP_EMAIL,
            {"account_id": "", "name": ""},
            "account_id",
        ),
        _spec(
            "tqr.identity.v1.RealNameVerificationFailed",
            "real_name_verification_failed",
            _INAPP_EMAIL,
            {"account_id": "", "name": "", "reason": ""},
            "account_id",
        ),
        _spec(
            "tqr.identity.v1.ManualReviewRequested",
            "manual_review_requested",
            _INAPP_EMAIL,
            {"account_id": "", "case_id": "", "due_date": ""},
            "account_id",
        ),
        # The person waited up to 7 working days for this one: worth a short SMS too.
        _spec(
            "tqr.identity.v1.ManualReviewDecided",
            "manual_review_decided",
            _ALL,
            {"account_id": "", "case_id": "", "decision": "", "reason": ""},
            "account_id",
        ),
        # A security notice: SMS and email so that a stranger's change is noticed quickly.
        _spec(
            "tqr.identity.v1.PasswordChanged",
            "password_changed",
            _ALL,
            {"account_id": "", "changed_at": "", "via": ""},
            "account_id",
        ),
        # R-ID-14: a notice to the previous address (sealed in the event), so that a change its owner
        # did not make is noticed where the owner still reads; the new address gets nothing here.
        _spec(
            "tqr.identity.v1.EmailChanged",
            "email_changed",
            (Channel.EMAIL,),
            {"account_id": "", "changed_at": "", "masked_new_email": ""},
            None,
        ),
        _spec(
            "tqr.identity.v1.SupportRequestDecided",
            "support_request_decided",
            _INAPP_EMAIL,
            {"account_id": "", "request_id": "", "kind": "", "decision": "", "reason": ""},
            "account_id",
        ),
        # The application number and the confirmation window are what the person needs next.
        _spec(
            "tqr.application.v1.ApplicationSubmitted",
            "application_submitted",
            _ALL,
            {
                "application_id": "",
                "application_number": "",
                "applicant_id": "",
                "applicant_name": "",
                "authority_name": "",
                "point_name": "",
                "point_address": "",
                "confirm_start": "",
                "confirm_end": "",
                "online_end": "",
            },
            "applicant_id",
        ),
        # No SMS: edits are frequent; the email lets a person notice a change they did not make.
        _spec(
            "tqr.application.v1.ApplicationUpdated",
            "application_updated",
            _INAPP_EMAIL,
            {"application_id": "", "application_number": "", "applicant_id": "", "changed_sections": []},
            "applicant_id",
        ),
        # R-APP-2: every status change is notified, with its meaning and what to do next.
        _spec(
            "tqr.application.v1.ApplicationStatusChanged",
            "application_status_changed",
            _ALL,
            {
                "application_id": "",
                "application_number": "",
                "applicant_id": "",
                "from_status": "",
                "to_status": "",
                "status_label": "",
                "reason": "",
                "missing_materials": [],
                "actor_role": "",
            },
            "applicant_id",
        ),
        # R-APP-4: messages from the authority or the point.
        _spec(
            "tqr.application.v1.MessagePosted",
            "message_posted",
            _INAPP_EMAIL,
            {
                "application_id": "",
                "application_number": "",
                "applicant_id": "",
                "author_org_name": "",
                "author_role": "",
                "body": "",
            },
            "applicant_id",
        ),
    ]
)


def spec_for(event_type: str) -> EventSpec:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise UnknownEvent(event_type) from None


def normalize_payload(spec: EventSpec, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Fill the defaults MessageToDict leaves out; unknown extra fields are kept as they are."""
    merged: dict[str, Any] = {}
    for name, default in spec.fields.items():
        value = payload.get(name)
        merged[name] = (list(default) if isinstance(default, list) else default) if value is None else value
    for name, value in payload.items():
        merged.setdefault(name, value)
    return merged
