"""Resolved sessions remembered for a few seconds, dropped the moment identity announces a change.

Without it every request (a wizard step, a help page) costs a ResolveSession call to identity, which
was about a third of the CPU a wizard step took. With it a busy applicant's requests within
``GATEWAY_SESSION_CACHE_SECONDS`` reuse the answer, and nothing about ending a session gets weaker:

- identity publishes every ended session (sign-out, password change ending the other sessions,
  an account removed) and every changed account (verified, name corrected) on a Redis pub/sub
  channel, named in ResolveSession's reply; a listener here drops the matching entries;
- the cache is used only while that listener is subscribed. When the subscription drops (Redis
  restarted, connection lost) everything remembered is forgotten and requests go to identity
  again until it is back; a subscription renewed after a reconnect forgets everything too, so an
  announcement missed in between cannot leave an ended session remembered;
- an entry never outlives the session's own remaining validity that identity reported;
- a sign-out through this gateway drops its entry at once, before the announcement arrives;
- an answer is not kept when an announcement about it arrived while it was being looked up (the
  caller takes a ``ticket`` before asking identity), nor when it was asked for before the listener
  was subscribed.

Entries are keyed by the session id (SHA-256 of the token), as identity announces them; the number
of entries is bounded (least recently used go first).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import Counter
from redis.asyncio import Redis

if TYPE_CHECKING:
    from tqr_gateway.session import SessionInfo

log = logging.getLogger(__name__)

LOOKUPS = Counter("tqr_gateway_session_cache_lookups_total", "Session look-ups by outcome",
                  ["outcome"])  # hit | miss | bypass (listener not subscribed)


def session_id_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Entry:
    session: SessionInfo
    expires: float  # monotonic


class SessionCache:
    def __init__(self, redis: Redis, *, seconds: float, max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._redis = redis
        self.seconds = seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._by_subject: dict[str, set[str]] = {}
        self._channel = ""
        self._subscribed = asyncio.Event()
        self._live_since = float("inf")
        self.subscriptions = 0  # how often the listener (re)subscribed
        self._recent: dict[str, float] = {}  # announcement → when heard (for tickets in flight)
        self._listener: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    @property
    def live(self) -> bool:
        """Remembered answers may be used: the listener is subscribed to identity's announcements."""
        return self.enabled and self._subscribed.is_set()

    def get(self, token: str) -> SessionInfo | None:
        if not self.live:
            LOOKUPS.labels("bypass").inc()
            return None
        sid = session_id_of(token)
        entry = self._entries.get(sid)
        if entry is None or entry.expires <= self._clock():
            if entry is not None:
                self._drop(sid)
            LOOKUPS.labels("miss").inc()
            return None
        self._entries.move_to_end(sid)
        LOOKUPS.labels("hit").inc()
        return entry.session

    def peek(self, token: str) -> SessionInfo | None:
        """The session remembered for ``token``, without counting a look-up or touching its age
        (the admission layer asks before the session layer does: overload.early)."""
        if not self.live:
            return None
        entry = self._entries.get(session_id_of(token))
        return entry.session if entry is not None and entry.expires > self._clock() else None

    def ticket(self) -> float:
        """Take before asking identity; pass to ``put``."""
        return self._clock()

    def put(self, token: str, session: SessionInfo, *, valid_for_seconds: float, channel: str,
            ticket: float) -> None:
        """Remember identity's answer; the first answer also names the channel to listen on."""
        if not self.enabled or not channel:
            return
        if channel != self._channel:
            self._listen(channel)
            return  # remembered only once the announcements are heard
        sid = session_id_of(token)
        if not self.live or ticket < self._live_since or self._announced_since(ticket, sid, session.subject_id):
            return
        self._drop(sid)
        self._entries[sid] = _Entry(session, self._clock() + min(self.seconds, valid_for_seconds))
        self._by_subject.setdefault(session.subject_id, set()).add(sid)
        while len(self._entries) > self._max:
            self._drop(next(iter(self._entries)))

    def forget(self, token: str) -> None:
        self._drop(session_id_of(token))

    def clear(self) -> None:
        self._entries.clear()
        self._by_subject.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, sid: str) -> None:
        entry = self._entries.pop(sid, None)
        if entry is not None:
            ids = self._by_subject.get(entry.session.subject_id)
            if ids is not None:
                ids.discard(sid)
                if not ids:
                    del self._by_subject[entry.session.subject_id]

    def _announced_since(self, ticket: float, sid: str, subject_id: str) -> bool:
        never = float("-inf")
        heard = max(self._recent.get(f"session:{sid}", never), self._recent.get(f"subject:{subject_id}", never))
        return heard >= ticket

    def _announced(self, message: str) -> None:
        now = self._clock()
        if len(self._recent) > 10_000:  # look-ups take seconds at most; older announcements cannot matter
            self._recent = {k: t for k, t in self._recent.items() if t > now - 60}
        self._recent[message] = now
        kind, _, ident = message.partition(":")
        if kind == "session":
            self._drop(ident)
        elif kind == "subject":
            for sid in list(self._by_subject.get(ident, ())):
                self._drop(sid)

    # --- the listener --------------------------------------------------------------------------
    def _listen(self, channel: str) -> None:
        if self._listener is not None:
            self._listener.cancel()
        self._channel = channel
        self._subscribed.clear()
        self.clear()
        self._listener = asyncio.get_running_loop().create_task(self._listen_forever(channel))

    async def _listen_forever(self, channel: str) -> None:
        backoff = 0.5
        while True:
            try:
                await self._listen_once(channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("session announcements unavailable; looking sessions up each time",
                            extra={"error": type(exc).__name__})
            self._subscribed.clear()
            self.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    async def _listen_once(self, channel: str) -> None:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(channel)
            while True:
                message = await pubsub.get_message(timeout=30.0)
                if message is None:
                    await pubsub.ping()  # notice a dead connection even when nothing is announced
                    continue
                if message["type"] == "subscribe":
                    # Also after redis-py reconnected and subscribed again by itself: whatever was
                    # announced in between is lost, so what was remembered before goes.
                    self.clear()
                    self._live_since = self._clock()
                    self.subscriptions += 1
                    self._subscribed.set()
                elif message["type"] == "message":
                    data = message["data"]
                    self._announced(data.decode() if isinstance(data, bytes) else str(data))
        finally:
            self._subscribed.clear()
            self._live_since = float("inf")
            self.clear()
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
