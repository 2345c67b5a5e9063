"""The outcome of one delivery attempt, shared by every channel."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DeliveryStatus(enum.StrEnum):
    SENT = "SENT"
    FAILED = "FAILED"
    # Not attempted: the per-recipient limit held the message back (see ``recipient_limit``).
    HELD = "HELD"


# Provider answers are stored with the delivery record; keep them bounded.
MAX_ANSWER_CHARS = 500


@dataclass(frozen=True)
class DeliveryResult:
    """What a channel reports after one attempt.

    ``transient`` is meaningful only for ``FAILED``: True when the same message may succeed later
    (connection refused, timeout, SMTP 4xx, HTTP 5xx/429), False when retrying cannot help
    (SMTP 5xx for the recipient or the data, HTTP 4xx). ``provider_answer`` is the server's reply,
    already scrubbed of the destination and the message text (which may hold a code).
    """

    status: DeliveryStatus
    provider_answer: str
    transient: bool = False
    provider_message_id: str | None = None

    @property
    def sent(self) -> bool:
        return self.status is DeliveryStatus.SENT

    @property
    def retryable(self) -> bool:
        return self.status is DeliveryStatus.FAILED and self.transient

    @classmethod
    def delivered(cls, answer: str, message_id: str | None = None) -> DeliveryResult:
        return cls(DeliveryStatus.SENT, answer[:MAX_ANSWER_CHARS], False, message_id)

    @classmethod
    def failed(cls, answer: str, *, transient: bool) -> DeliveryResult:
        return cls(DeliveryStatus.FAILED, answer[:MAX_ANSWER_CHARS], transient)

    @classmethod
    def held(cls, reason: str) -> DeliveryResult:
        return cls(DeliveryStatus.HELD, reason[:MAX_ANSWER_CHARS], False)


def scrub(answer: str, *secrets: str, placeholder: str = "[redacted]") -> str:
    """Remove the destination and message text from a provider's answer before it is stored."""
    for secret in secrets:
        if secret:
            answer = answer.replace(secret, placeholder)
    return answer
