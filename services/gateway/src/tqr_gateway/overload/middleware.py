"""The admission control: a pure ASGI layer, the outermost but one (only ForwardedClient, which sets
the real client address, runs before it), which puts the concurrency limit, the priorities and the
waiting room together (R-PEAK-1). It decides before the session look-up, the routing and the other
middleware, and answers the refused and the queued itself, so that at the peak what cannot be let
in costs little; ``early`` says how it tells who is asking and why that cannot be gamed.

- Probes, static files and the language switch pass untouched; staff take a slot without waiting.
- Work under way (a submission, a signed-in applicant's step, a sign-in or another anonymous form)
  waits for a slot by priority, at most ``wait_seconds``; then it is shed with 503 and Retry-After,
  before anything reached a service, so nothing the person saved is touched.
- A new visitor's page comes in directly only when a slot is free and nobody is queued; otherwise
  the visitor is queued and sees the waiting page at the address they asked for, which asks again
  by itself until they are let in and see the page they asked for. A program (the JSON API) is not
  queued: it gets 503, Retry-After and a problem document.
- When a request ends with free slots on this gateway and visitors queued, it lets in as many from
  the head as are not already on their way.

If Redis is out of reach the waiting room is taken as empty: the limit and the priorities still
hold in each process, and a visitor who does not fit is shed instead of queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.exceptions import RedisError
from servicekit.clock import Clock, SystemClock
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tqr_gateway.overload import metrics
from tqr_gateway.overload.early import EarlyAnswers, signed_in
from tqr_gateway.overload.limiter import ConcurrencyLimiter
from tqr_gateway.overload.priority import Pass, Priority, classify
from tqr_gateway.overload.waiting_room import AdmissionPass, RoomState, WaitingRoom, new_ticket, well_formed_ticket
from tqr_gateway.security.client_address import client_address
from tqr_gateway.security.refusals import wants_json

log = logging.getLogger(__name__)

# How long this gateway trusts what it last learned of the queue's length before asking Redis
# again: at most one question a second while nobody is queued.
ROOM_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Cookies:
    ticket: str
    admitted: str
    attributes: str

    @classmethod
    def for_site(cls, secure: bool) -> Cookies:
        # __Host- cookies, like the session's: only over https (or localhost), never for a subdomain.
        if secure:
            return cls("__Host-queue", "__Host-admitted", "Path=/; Secure; HttpOnly; SameSite=Lax")
        return cls("queue", "admitted", "Path=/; HttpOnly; SameSite=Lax")

    def set(self, name: str, value: str, max_age: int) -> tuple[bytes, bytes]:
        return b"set-cookie", f"{name}={value}; Max-Age={max_age}; {self.attributes}".encode()


class Admission:
    """The gateway's admission state: one per process, put in ``app.state.admission``."""

    def __init__(self, limiter: ConcurrencyLimiter, room: WaitingRoom, passes: AdmissionPass, *,
                 wait_seconds: float, secure_cookies: bool = True, clock: Clock | None = None) -> None:
        self.limiter = limiter
        self.room = room
        self.passes = passes
        self.wait_seconds = wait_seconds
        self.secure_cookies = secure_cookies
        self.cookies = Cookies.for_site(secure_cookies)
        self.answers = EarlyAnswers(hsts=secure_cookies)
        self.clock = clock or SystemClock()
        self._known_ahead = 0
        self._known_at = float("-inf")
        metrics.LIMIT.set(limiter.limit)

    # What this gateway knows of the queue (visitors queued or let in and not yet come), refreshed
    # at most every ROOM_CHECK_SECONDS.
    async def visitors_ahead(self) -> int:
        now = self.clock.now().timestamp()
        if now - self._known_at >= ROOM_CHECK_SECONDS:
            try:
                ahead = await self.room.ahead_of_a_newcomer()
            except RedisError:
                ahead = 0
            self.learn(RoomState(ahead, 0.0, 0.0), now, gauges=False)
        return self._known_ahead

    def learn(self, state: RoomState, now: float | None = None, *, gauges: bool = True) -> None:
        self._known_ahead = state.ahead_of_a_newcomer
        self._known_at = self.clock.now().timestamp() if now is None else now
        if gauges:
            metrics.WAITING.set(state.waiting)
            metrics.OLDEST.set(state.oldest_wait_seconds)
            metrics.PACE.set(state.admissions_per_second)

    async def finished(self) -> None:
        """A request gave back its slot: let visitors in for the slots nobody holds or waits for."""
        self.limiter.release()
        metrics.IN_FLIGHT.set(self.limiter.in_flight)
        if self.limiter.free_slots > 0 and await self.visitors_ahead() > 0:
            try:
                self.learn(await self.room.admit(self.limiter.free_slots))
            except RedisError:
                log.warning("waiting room unavailable; nobody let in from it this time")

    def busy(self) -> bool:
        """Half the slots taken: a visitor let in now gets a pass, so that their next pages (a
        registration goes over several) are not queued if the queue opens meanwhile."""
        return self.limiter.in_flight * 2 >= self.limiter.limit

    def shed(self, connection: HTTPConnection, retry_after: int | None = None,
             set_cookies: tuple[tuple[bytes, bytes], ...] = ()) -> ASGIApp:
        return _with_headers_app(self.answers.busy(connection, max(1, retry_after or self.room.refresh_seconds)),
                                 set_cookies)


@dataclass(frozen=True)
class LetIn:
    set_cookies: tuple[tuple[bytes, bytes], ...] = ()


class AdmissionControl:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        admission: Admission | None = getattr(scope["app"].state, "admission", None) if "app" in scope else None
        if scope["type"] != "http" or admission is None:
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        holds_pass = admission.passes.valid(connection.cookies.get(admission.cookies.admitted))
        standing = classify(scope, signed_in=signed_in(scope, admission.secure_cookies), admitted_visitor=holds_pass)
        if standing is Pass.EXEMPT:
            await self.app(scope, receive, send)
            return
        label = "staff" if standing is Pass.STAFF else standing.name.lower()
        if standing is Pass.STAFF:
            admission.limiter.enter_unqueued()
        elif standing is Priority.NEW_VISITOR:
            answer = await self._visitor(admission, connection)
            if not isinstance(answer, LetIn):
                await answer(scope, receive, send)
                return
            send = _with_headers(send, answer.set_cookies)
        elif not await admission.limiter.acquire(standing, admission.wait_seconds):
            metrics.ADMISSIONS.labels(label, "shed").inc()
            await admission.shed(connection)(scope, receive, send)
            return
        metrics.ADMISSIONS.labels(label, "admitted").inc()
        metrics.IN_FLIGHT.set(admission.limiter.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            await admission.finished()

    async def _visitor(self, admission: Admission, connection: HTTPConnection) -> LetIn | ASGIApp:
        """A new visitor's page: in, queued (the waiting page) or, for a program, 503."""
        ticket = connection.cookies.get(admission.cookies.ticket)
        if not ticket and await admission.visitors_ahead() == 0 and admission.limiter.try_acquire():
            return LetIn(self._pass(admission) if admission.busy() else ())
        if wants_json(connection):
            metrics.ADMISSIONS.labels("new_visitor", "shed").inc()
            return admission.shed(connection, await self._estimate(admission))
        held: str = ticket if ticket and well_formed_ticket(ticket) else new_ticket()
        try:
            place = await admission.room.ask(held, admission.limiter.free_slots, client_address(connection))
        except RedisError:
            log.warning("waiting room unavailable; a visitor who does not fit is shed")
            if admission.limiter.try_acquire():
                return LetIn()
            metrics.ADMISSIONS.labels("new_visitor", "shed").inc()
            return admission.shed(connection)
        admission.learn(place.room)
        if place.refused:  # this address took its places for the minute (the room's NEW_PLACES_PER_ADDRESS)
            metrics.ADMISSIONS.labels("new_visitor", "shed").inc()
            return admission.shed(connection)
        if place.admitted:
            let_in = (*self._pass(admission), admission.cookies.set(admission.cookies.ticket, "", 0))
            if await admission.limiter.acquire(Priority.SIGN_IN, admission.wait_seconds):
                return LetIn(let_in)
            # Let in but no slot came in time: the pass still stands, so the next try is not queued.
            metrics.ADMISSIONS.labels("new_visitor", "shed").inc()
            return admission.shed(connection, set_cookies=let_in)
        metrics.ADMISSIONS.labels("new_visitor", "queued").inc()
        return admission.answers.waiting(
            connection, place, admission.room.refresh_seconds, admission.room.abandon_seconds,
            admission.cookies.set(admission.cookies.ticket, held, admission.room.abandon_seconds * 4))

    @staticmethod
    def _pass(admission: Admission) -> tuple[tuple[bytes, bytes]]:
        return (admission.cookies.set(admission.cookies.admitted, admission.passes.issue(),
                                      admission.passes.valid_seconds),)

    @staticmethod
    async def _estimate(admission: Admission) -> int | None:
        """Retry-After for a program: when the last of those queued now would be let in."""
        try:
            state = await admission.room.admit(admission.limiter.free_slots)
        except RedisError:
            return None
        admission.learn(state)
        return state.wait_for(state.waiting + 1)


def _with_headers_app(app: ASGIApp, headers: tuple[tuple[bytes, bytes], ...]) -> ASGIApp:
    if not headers:
        return app

    async def answering(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, _with_headers(send, headers))

    return answering


def _with_headers(send: Send, headers: tuple[tuple[bytes, bytes], ...]) -> Send:
    if not headers:
        return send

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *headers]
        await send(message)

    return sending
