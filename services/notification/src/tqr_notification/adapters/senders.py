"""The channels the dispatcher sends through, each given the delivery's idempotency key.

Email gets a Message-ID made from the delivery id (the same across retries, so a receiving server
can drop a duplicate); SMS providers get the idempotency key as their ``request_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tqr_notification.channels.email import SmtpEmailSender
from tqr_notification.channels.sms import SmsProvider
from tqr_notification.domain.catalogue import Channel
from tqr_notification.domain.delivery import DeliveryResult
from tqr_notification.domain.rendering import RenderedMessage


@dataclass
class ChannelSenders:
    email: SmtpEmailSender
    sms: SmsProvider
    alternative: SmsProvider
    mail_domain: str
    closers: list[object] = field(default_factory=list)  # providers holding connections

    def message_id(self, delivery_id: str) -> str:
        return f"<{delivery_id}@{self.mail_domain}>"

    async def send(
        self, channel: Channel, destination: str, rendered: RenderedMessage, *,
        delivery_id: str, idempotency_key: str,
    ) -> DeliveryResult:
        if channel is Channel.EMAIL:
            return await self.email.send(destination, rendered, message_id=self.message_id(delivery_id))
        provider = self.sms if channel is Channel.SMS else self.alternative
        if channel not in (Channel.SMS, Channel.ALTERNATIVE):
            raise ValueError(f"the dispatcher does not send {channel.value}")
        return await provider.send(destination, rendered.text, idempotency_key=idempotency_key)

    async def aclose(self) -> None:
        for provider in self.closers:
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
