"""What the event handlers and the dispatcher share, built once in ``bootstrap``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from servicekit.clock import Clock
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tqr_notification.adapters.sealing import Sealers


def _nothing() -> None:
    return None


@dataclass
class NotificationContext:
    sessions: async_sessionmaker[AsyncSession]
    reading_sessions: async_sessionmaker[AsyncSession]  # no transaction; refuses to write
    clock: Clock
    sealers: Sealers
    # Key of the HMAC that names a bare contact (a code's destination) without holding it in clear.
    recipient_hmac_key: bytes
    site_url: str = ""
    # Called after a handler's transaction committed new deliveries: the dispatcher looks at once.
    wake_dispatcher: Callable[[], None] = field(default=_nothing)

    def reading(self) -> AsyncSession:
        """A unit of work that only reads (``async with``): no transaction, and it refuses to write
        (``servicekit.db.reading_sessionmaker``)."""
        return self.reading_sessions()
