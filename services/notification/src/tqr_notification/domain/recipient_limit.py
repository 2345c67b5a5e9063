"""The per-recipient flood limit: how many messages one phone or mailbox may receive per window.

Pure rules only; the counting store is a ``RecipientCounter`` (Redis in
``channels.redis_recipient_limit``). A destination is never stored in clear: the store sees only
``recipient_digest`` (an HMAC with a key the service keeps), so a dump of the store reveals nothing.

Verification codes count in their own bucket with their own limit: a person locked out by a burst
of status emails must still be able to receive the code that lets them sign in (R-ID-6), and a
burst of code requests must not silence the application's notices.
In-app messages are never limited (they wait in the inbox; nothing is pushed to the person).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from tqr_notification.domain.catalogue import EXTERNAL_CHANNELS, Channel, EventSpec
from tqr_notification.domain.delivery import DeliveryResult


class LimitBucket(enum.StrEnum):
    GENERAL = "general"
    CODES = "codes"


@dataclass(frozen=True)
class LimitRule:
    max_messages: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.max_messages < 1 or self.window_seconds < 1:
            raise ValueError("a limit needs at least one message and one second")


@dataclass(frozen=True)
class RecipientLimitPolicy:
    general: LimitRule = LimitRule(max_messages=20, window_seconds=3600)
    codes: LimitRule = LimitRule(max_messages=10, window_seconds=3600)

    def rule_for(self, bucket: LimitBucket) -> LimitRule:
        return self.codes if bucket is LimitBucket.CODES else self.general


@dataclass(frozen=True)
class LimitDecision:
    """``allowed`` False means the message is held back; the caller records the decision."""

    allowed: bool
    bucket: LimitBucket
    count: int
    limit: int
    window_seconds: int
    retry_after_seconds: int = 0

    def as_held_result(self) -> DeliveryResult:
        return DeliveryResult.held(
            f"recipient limit: {self.count}/{self.limit} {self.bucket.value} messages "
            f"in {self.window_seconds}s; retry after {self.retry_after_seconds}s"
        )


class RecipientCounter(Protocol):
    async def admit(self, destination: str, bucket: LimitBucket, message_id: str) -> LimitDecision:
        """Count ``message_id`` for ``destination`` if the bucket has room; idempotent per id."""
        ...


def bucket_for(spec: EventSpec) -> LimitBucket:
    return LimitBucket.CODES if spec.carries_secret else LimitBucket.GENERAL


def is_limited(channel: Channel) -> bool:
    return channel in EXTERNAL_CHANNELS


def normalize_destination(destination: str) -> str:
    """One person, one key: case and spaces do not make a different mailbox or phone."""
    text = "".join(destination.split()).lower()
    return text.removeprefix("+86") if "@" not in text else text


def recipient_digest(hmac_key: bytes, destination: str) -> str:
    if len(hmac_key) < 16:
        raise ValueError("the recipient HMAC key must be at least 16 bytes")
    normalized = normalize_destination(destination).encode("utf-8")
    return hmac.new(hmac_key, normalized, hashlib.sha256).hexdigest()
