"""The waiting room: a first-come queue of new visitors held in Redis, so that every gateway replica
serves one queue, and the signed pass that lets an admitted visitor stay in.

A visitor who cannot come in gets a ticket (a random id in a cookie) and a place at the back of the
queue (a sorted set scored by a counter, so order is arrival order across replicas). Their page
asks again every few seconds; each ask says the visitor is still there. Visitors are let in from the
head as gateways report free slots: whenever a request ends on a gateway that has slots nobody holds
or waits for, and whenever a queued visitor asks. A visitor let in has ``claim_seconds`` to come
and take their place; admissions not yet taken count against the free slots reported, so admission
follows what the system actually completes instead of a rate set in advance. A visitor who stops
asking (closed the page) leaves the queue after ``abandon_seconds``, and so stops holding up the
ones behind.

Every step runs as one Lua script: the check and the move of a ticket happen together however many
gateways ask at once. Time comes from the gateway's clock (tests move it), not from Redis.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis
from servicekit.clock import Clock, SystemClock

from tqr_gateway.security.ratelimit import counter_window

# Shared by both scripts. KEYS: queue (ticket -> arrival number), seen (ticket -> last ask),
# joined (ticket -> time of arrival), admitted (ticket -> time let in), recent (ticket -> time let
# in, kept for RATE_WINDOW to measure the pace), counter. ARGV: now, free slots, abandon_seconds,
# claim_seconds, rate window, then the script's own.
_FUNCTIONS = """
local now, free = tonumber(ARGV[1]), tonumber(ARGV[2])
local function forget(t)
  redis.call('ZREM', KEYS[1], t); redis.call('ZREM', KEYS[2], t); redis.call('ZREM', KEYS[3], t)
end
local function prune()
  for _, t in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - tonumber(ARGV[3])))) do forget(t) end
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. (now - tonumber(ARGV[4])))
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. (now - tonumber(ARGV[5])))
end
local function admit_heads()
  local room = free - redis.call('ZCARD', KEYS[4])
  if room > 0 then
    for _, t in ipairs(redis.call('ZRANGE', KEYS[1], 0, room - 1)) do
      forget(t); redis.call('ZADD', KEYS[4], now, t); redis.call('ZADD', KEYS[5], now, t)
    end
  end
end
local function state()
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  local first = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
  return {tostring(redis.call('ZCARD', KEYS[1])), oldest[2] or '', tostring(redis.call('ZCARD', KEYS[5])),
          first[2] or '', tostring(redis.call('ZCARD', KEYS[4]))}
end
"""

_ADMIT = _FUNCTIONS + "prune(); admit_heads(); return state()"

# ARGV[6]: the ticket. A ticket neither queued nor let in joins at the back before the heads are let
# in, so that a newcomer finding room and nobody ahead is let in by the same call. Joining counts
# against the visitor's address (KEYS[7], a counter of this window, which lapses ARGV[8] seconds
# on): past ARGV[7] places a window the ticket does not join, and the answer's position is -1.
_ASK = _FUNCTIONS + """
local t = ARGV[6]
prune()
if redis.call('ZSCORE', KEYS[4], t) == false and redis.call('ZSCORE', KEYS[1], t) == false then
  local taken = redis.call('INCR', KEYS[7])
  if taken == 1 then redis.call('EXPIRE', KEYS[7], ARGV[8]) end
  if taken > tonumber(ARGV[7]) then
    local refused = state(); table.insert(refused, 1, '-1'); return refused
  end
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[6]), t); redis.call('ZADD', KEYS[3], now, t)
end
if redis.call('ZSCORE', KEYS[1], t) then redis.call('ZADD', KEYS[2], now, t) end
admit_heads()
local answer = state()
if redis.call('ZREM', KEYS[4], t) == 1 then
  table.insert(answer, 1, '0')
else
  table.insert(answer, 1, tostring(redis.call('ZRANK', KEYS[1], t) + 1))
end
return answer
"""

RATE_WINDOW_SECONDS = 60.0
# New places in the queue one client address may take a minute: a client that keeps no cookies (or
# makes up a new ticket each time) would otherwise take a place with every request and push real
# visitors back until the abandoned places lapse. Room for a school's or an office's many people
# behind one address; multiplied by GATEWAY_RATE_LIMIT_FACTOR, as the other per-address limits.
NEW_PLACES_PER_ADDRESS = 120
NEW_PLACES_WINDOW_SECONDS = 60
_TICKET = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class RoomState:
    waiting: int  # visitors in the queue
    oldest_wait_seconds: float  # how long the one at the head has waited (0: nobody waits)
    admissions_per_second: float  # the pace of the last minute (0: nobody let in lately)
    on_their_way: int = 0  # let in, not yet come: their slots are promised

    @property
    def ahead_of_a_newcomer(self) -> int:
        return self.waiting + self.on_their_way

    def wait_for(self, position: int) -> int | None:
        """Seconds until the visitor at ``position`` is let in at the present pace (None: no pace yet)."""
        if self.admissions_per_second <= 0:
            return None
        return max(1, math.ceil(position / self.admissions_per_second))


@dataclass(frozen=True)
class Place:
    position: int  # 1: next in; 0: let in now; -1: no place (the address took too many)
    room: RoomState

    @property
    def admitted(self) -> bool:
        return self.position == 0

    @property
    def refused(self) -> bool:
        return self.position < 0

    @property
    def estimated_wait_seconds(self) -> int | None:
        return self.room.wait_for(self.position)


def new_ticket() -> str:
    return secrets.token_urlsafe(16)


def well_formed_ticket(value: str | None) -> bool:
    return bool(value and _TICKET.match(value))


class WaitingRoom:
    def __init__(self, redis: Redis, *, prefix: str, refresh_seconds: int, clock: Clock | None = None,
                 new_places_per_address: int = NEW_PLACES_PER_ADDRESS) -> None:
        self.redis = redis
        self.clock = clock or SystemClock()
        self.refresh_seconds = refresh_seconds
        # Three missed refreshes: the page was closed (or the connection lost for long).
        self.abandon_seconds = 3 * refresh_seconds
        self.claim_seconds = 3 * refresh_seconds
        self.new_places_per_address = new_places_per_address
        base = f"{prefix}:wr:"
        self._new_places_key = base + "new:"
        self.keys = [base + name for name in ("queue", "seen", "joined", "admitted", "recent", "counter")]
        self._admit = redis.register_script(_ADMIT)
        self._ask = redis.register_script(_ASK)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _common_args(self, now: float, free_slots: int) -> list[float | int]:
        return [now, max(0, free_slots), self.abandon_seconds, self.claim_seconds, RATE_WINDOW_SECONDS]

    async def ask(self, ticket: str, free_slots: int, address: str) -> Place:
        """The place of ``ticket`` (joining at the back if it holds none, as one of the places
        ``address`` may take this minute); position 0 lets it in."""
        now = self._now()
        counter = counter_window(self._new_places_key, address, now, NEW_PLACES_WINDOW_SECONDS)
        reply = await self._ask(keys=[*self.keys, counter.key], args=[
            *self._common_args(now, free_slots), ticket, self.new_places_per_address, counter.seconds_left + 1])
        return Place(int(reply[0]), self._state(now, reply[1:]))

    async def admit(self, free_slots: int) -> RoomState:
        """Report ``free_slots`` on this gateway: lets in as many from the head as are not already
        on their way, and says how the queue stands."""
        now = self._now()
        return self._state(now, await self._admit(keys=self.keys, args=self._common_args(now, free_slots)))

    async def ahead_of_a_newcomer(self) -> int:
        """Visitors queued or let in and not yet come (a newcomer may not take their place). Places
        given up count no more, though only the scripts remove them: asked on a replica where
        nothing has run a script since (just started, or idle), the queue's size would still count
        everyone who closed the page, and hold newcomers back with nobody in front of them."""
        now = self._now()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcount(self.keys[1], now - self.abandon_seconds, "+inf")
            pipe.zcount(self.keys[3], now - self.claim_seconds, "+inf")
            queued, promised = await pipe.execute()
        return int(queued) + int(promised)

    def _state(self, now: float, reply: list[bytes]) -> RoomState:
        waiting, oldest, recent, first, promised = (value.decode() if isinstance(value, bytes) else str(value)
                                                    for value in reply)
        pace = 0.0
        if int(recent) and first:
            # Over the last minute, or since the first admission when that was more recent.
            span = min(RATE_WINDOW_SECONDS, max(1.0, now - float(first)))
            pace = int(recent) / span
        return RoomState(int(waiting), max(0.0, now - float(oldest)) if oldest else 0.0, pace, int(promised))


class AdmissionPass:
    """A signed, expiring cookie value: this visitor was let in (by the waiting room, or while it
    was open), so their next pages are not queued again. Signed with the gateway's secret, so every
    replica accepts another's pass."""

    def __init__(self, secret: str, *, valid_seconds: int, clock: Clock | None = None) -> None:
        self._key = hashlib.sha256(f"waiting-room-pass:{secret}".encode()).digest()
        self.valid_seconds = valid_seconds
        self.clock = clock or SystemClock()

    def _signature(self, expiry: str) -> str:
        return hmac.new(self._key, expiry.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        expiry = str(int(self.clock.now().timestamp()) + self.valid_seconds)
        return f"{expiry}.{self._signature(expiry)}"

    def valid(self, value: str | None) -> bool:
        if not value or "." not in value:
            return False
        expiry, signature = value.split(".", 1)
        if not expiry.isdigit() or not hmac.compare_digest(signature, self._signature(expiry)):
            return False
        return int(expiry) > self.clock.now().timestamp()
