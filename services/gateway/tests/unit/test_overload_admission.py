"""R-PEAK-1 through HTTP: the admission control in front of a small app, with the gateway's web shell,
real Redis (a key prefix of its own per test) and a clock the test moves. Every slot is held by a
request the test keeps waiting and lets go of: no timing.

Two app instances over one Redis stand for two gateway replicas."""

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from servicekit.clock import ManualClock
from starlette.types import ASGIApp, Receive, Scope, Send
from tqr_gateway.app import admission_for, create_app
from tqr_gateway.config import GatewaySettings
from tqr_gateway.overload.limiter import ConcurrencyLimiter
from tqr_gateway.overload.middleware import Admission, AdmissionControl
from tqr_gateway.overload.waiting_room import NEW_PLACES_PER_ADDRESS, AdmissionPass, WaitingRoom, new_ticket
from tqr_gateway.security.ratelimit import FixedWindowLimiter
from tqr_gateway.session import SessionInfo, session_token_of
from tqr_gateway.web.shell import install_web_shell

pytestmark = pytest.mark.redis
REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "test-secret-0123456789abcdef"
REFRESH = 7


def session_of(who: str) -> SessionInfo:
    return SessionInfo(token=f"{who}-token", subject_id=who, kind=who, roles=(), organisation_code="", name=who,
                       masked_document_number="", real_name_status="")


def signed_in_as(who: str) -> dict[str, str]:
    """The session cookie of ``who``: "applicant" and "staff" have sessions; anything else is forged."""
    return {"cookie": f"__Host-session={who}-token"}


class FakeSessionCache:
    """Stands for the gateway's in-process session cache: it remembers the staff member's session
    (resolved a moment ago), not the applicant's (so the applicant's cookie is all there is)."""

    def peek(self, token: str) -> SessionInfo | None:
        return session_of("staff") if token == "staff-token" else None


class FakeSessions:
    """Stands for the session layer: resolves the session cookie, and notes every request it sees."""

    def __init__(self, app: ASGIApp, seen: list[str]) -> None:
        self.app = app
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append(scope["path"])
            token = session_token_of(scope, secure=True)
            who = token.removesuffix("-token") if token in ("applicant-token", "staff-token") else ""
            scope.setdefault("state", {})["session"] = session_of(who) if who else None
        await self.app(scope, receive, send)


class Gateway:
    """One gateway replica: an app whose ``/hold`` requests stay in until the test lets them go."""

    def __init__(self, redis: Redis, prefix: str, clock: ManualClock, limit: int, wait_seconds: float,
                 max_waiting: int = 10) -> None:
        self.holds: list[asyncio.Event] = []  # one per request held in /hold, in the order they came
        room = WaitingRoom(redis, prefix=prefix, refresh_seconds=REFRESH, clock=clock)
        # A queue longer than the limit by default: these tests are about the order of the waiters.
        self.admission = Admission(ConcurrencyLimiter(limit, max_waiting=max_waiting), room,
                                   AdmissionPass(SECRET, valid_seconds=1800, clock=clock),
                                   wait_seconds=wait_seconds, clock=clock)
        self.sessions_seen: list[str] = []  # the paths of the requests that reached the session layer
        app = FastAPI()
        app.state.admission = self.admission
        app.state.session_cache = FakeSessionCache()
        app.state.rate_limiter = FixedWindowLimiter(redis, prefix=f"{prefix}:rl:", clock=clock)
        # As the gateway has them: the admission control outside the web shell and the session layer.
        app.add_middleware(FakeSessions, seen=self.sessions_seen)
        install_web_shell(app, secret_key=SECRET, csrf_exempt_prefixes=("/apply", "/account"))
        app.add_middleware(AdmissionControl)

        @app.get("/hold")
        @app.post("/apply/step/2")
        async def hold() -> dict[str, str]:
            ends = asyncio.Event()
            self.holds.append(ends)
            await ends.wait()
            return {"page": "the page asked for"}

        @app.get("/account/register")
        @app.get("/notice")
        @app.get("/staff/applications")
        @app.get("/api/v1/registration-options")
        @app.post("/account/login")
        async def page() -> dict[str, str]:
            return {"page": "the page asked for"}

        @app.get("/healthz")
        async def health() -> dict[str, str]:
            return {"status": "ok"}

        self.app = app
        self.holding: list[asyncio.Task[httpx.Response]] = []

    def visitor(self, lang: str | None = None) -> httpx.AsyncClient:
        cookies = {"lang": lang} if lang else None
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="https://testserver",
                                 cookies=cookies)

    async def fill(self, count: int) -> None:
        """``count`` signed-in applicants' requests take slots and stay."""
        for _ in range(count):
            client = self.visitor()
            self.holding.append(asyncio.create_task(client.get("/hold", headers=signed_in_as("applicant"))))
        await settle()

    async def end_one(self) -> None:
        """The oldest held request ends and gives back its slot."""
        self.holds.pop(0).set()
        await settle()

    async def let_go(self) -> None:
        while self.holds:
            await self.end_one()
        await asyncio.gather(*self.holding)
        self.holding.clear()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))


@pytest.fixture
async def shared() -> AsyncIterator[tuple[Redis, str]]:
    redis = Redis.from_url(REDIS_URL)
    prefix = f"tqr-test:{secrets.token_hex(6)}:gateway"
    yield redis, prefix
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def got_in(answer: httpx.Response) -> bool:
    return answer.headers["content-type"] == "application/json" and answer.json() == {"page": "the page asked for"}


def place_of(page: httpx.Response) -> int:
    found = re.search(r'role="status"[^>]*>.*?(\d+)', page.text, re.S)
    assert found, page.text
    return int(found.group(1))


async def test_r_peak_1_a_new_visitor_who_does_not_fit_gets_the_waiting_page_without_javascript(
        shared: tuple[Redis, str], clock: ManualClock) -> None:
    gateway = Gateway(*shared, clock, limit=1, wait_seconds=0)
    await gateway.fill(1)
    async with gateway.visitor() as first, gateway.visitor(lang="en") as second:
        page = await first.get("/notice")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert page.headers["cache-control"] == "no-store"
        assert f'<meta http-equiv="refresh" content="{REFRESH}">' in page.text
        assert 'role="status"' in page.text and 'aria-live="polite"' in page.text
        assert "正在排队" in page.text and "第 1 位" in page.text
        assert '<html lang="zh-CN">' in page.text and "<script" not in page.text.split("</head>")[1]
        assert 'href="/notice"' in page.text  # "refresh now" asks for the same page again
        assert first.cookies.get("__Host-queue")
        english = await second.get("/account/register")
        assert "You are in a queue" in english.text and "Your place in the queue: 2" in english.text
        assert place_of(await first.get("/notice")) == 1  # asking again keeps the place
    await gateway.let_go()


async def test_r_peak_1_queued_visitors_are_let_in_by_themselves_in_the_order_they_came(
        shared: tuple[Redis, str], clock: ManualClock) -> None:
    gateway = Gateway(*shared, clock, limit=2, wait_seconds=0)
    await gateway.fill(2)
    visitors = [gateway.visitor() for _ in range(3)]
    for number, visitor in enumerate(visitors, start=1):
        clock.advance(seconds=1)
        assert place_of(await visitor.get("/notice")) == number
    let_in: list[int] = []
    for _ in range(3):
        await gateway.end_one()  # one slot frees: one visitor is let in
        for number in (3, 2, 1):  # the later ones ask first
            if number not in let_in and got_in(await visitors[number - 1].get("/notice")):
                let_in.append(number)
        await gateway.fill(1)  # and the slot is taken again by work under way
    assert let_in == [1, 2, 3]
    # Once in, a visitor's next pages are not queued, though others now are.
    async with gateway.visitor() as newcomer:
        assert place_of(await newcomer.get("/notice")) == 1
        await gateway.end_one()
        assert got_in(await visitors[0].get("/account/register"))
        # The newcomer was let in and has not come yet: a fresh visitor queues, first in line.
        assert place_of(await gateway.visitor().get("/account/register")) == 1
        assert got_in(await newcomer.get("/notice"))
    await gateway.let_go()
    for visitor in visitors:
        await visitor.aclose()


async def test_r_peak_1_admission_is_shared_by_two_gateways_over_one_redis(
        shared: tuple[Redis, str], clock: ManualClock) -> None:
    one = Gateway(*shared, clock, limit=1, wait_seconds=0)
    two = Gateway(*shared, clock, limit=1, wait_seconds=0)
    await one.fill(1)
    await two.fill(1)
    first, second = one.visitor(), one.visitor()
    assert place_of(await first.get("/notice")) == 1
    assert place_of(await second.get("/notice")) == 2
    # The second replica's freed slot goes to the head of the shared queue (`first`, queued at the
    # first replica); a newcomer at the second replica queues behind `second`.
    await two.let_go()
    clock.advance(seconds=1)
    async with two.visitor() as newcomer:
        assert place_of(await newcomer.get("/notice")) == 2
        # The same browser as `second` reaches the second replica (its ticket travels along): still first
        # in line, behind nobody but `first`, who is on their way.
        second_at_two = two.visitor()
        second_at_two.cookies = second.cookies
        assert place_of(await second_at_two.get("/notice")) == 1
        assert place_of(await newcomer.get("/notice")) == 2
        first_at_two = two.visitor()
        first_at_two.cookies = first.cookies
        assert got_in(await first_at_two.get("/notice"))
        # The first replica's slot frees too: `second` (asking there) is next, then the newcomer.
        await one.let_go()
        assert got_in(await second.get("/notice"))
        assert got_in(await newcomer.get("/notice"))
    for client in (first, second, second_at_two, first_at_two):
        await client.aclose()


async def test_r_peak_1_a_program_that_does_not_fit_gets_503_retry_after_and_a_problem_document(
        shared: tuple[Redis, str], clock: ManualClock) -> None:
    gateway = Gateway(*shared, clock, limit=1, wait_seconds=0)
    await gateway.fill(1)
    async with gateway.visitor() as program:
        answer = await program.get("/api/v1/registration-options")
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        seconds = int(answer.headers["retry-after"])
        assert seconds >= 1
        problem = answer.json()
        assert problem["code"] == "SERVER_BUSY" and problem["status"] == 503 and problem["retry_after"] == seconds
        assert "系统正忙" in problem["title"] and "saved is lost" in problem["message_en"]
        assert "request_id" in problem
    await gateway.let_go()


async def test_r_peak_1_work_under_way_that_finds_no_slot_in_time_is_shed_with_503(
        shared: tuple[Redis, str], clock: ManualClock) -> None:
    gateway = Gateway(*shared, clock, limit=1, wait_seconds=0)
    await gateway.fill(1)
    async with gateway.visitor() as applicant:
        answer = await applicant.post("/apply/step/2", headers=signed_in_as("applicant"))
        assert answer.status_code == 503 and answer.headers["retry-after"] == str(REFRESH)
        assert "系统正忙" in answer.text and "<html" in answer.text
        assert 'data-code="SERVER_BUSY"' in answer.text  # how a program (the overload benchmark) tells it
    await gateway.let_go()


async def test_r_peak_1_a_step_waiting_for_a_slot_goes_before_a_sign_in_that_came_first(
        shared: tuple[Redis, str], clock: ManualClock) -> None:
    gateway = Gateway(*shared, clock, limit=1, wait_seconds=60)
    await gateway.fill(1)
    order: list[str] = []

    async def ask(name: str, method: str, path: str, who: str = "") -> None:
        async with gateway.visitor() as client:
            await client.request(method, path, headers=signed_in_as(who) if who else {})
            order.append(name)

    sign_in = asyncio.create_task(ask("sign-in", "POST", "/account/login"))
    await settle()
    step = asyncio.create_task(ask("step", "POST", "/apply/step/2", "applicant"))
    await settle()
    assert order == []
    await gateway.end_one()  # the slot goes to the step; when it ends, to the sign-in
    await gateway.end_one()
    await asyncio.gather(*gateway.holding, sign_in, step)
    assert order == ["step", "sign-in"]


async def test_r_peak_1_staff_and_the_probes_are_never_queued(shared: tuple[Redis, str], clock: ManualClock) -> None:
    gateway = Gateway(*shared, clock, limit=1, wait_seconds=0)
    await gateway.fill(1)
    async with gateway.visitor() as staff, gateway.visitor() as probe:
        assert got_in(await staff.get("/notice", headers=signed_in_as("staff")))
        assert got_in(await staff.get("/staff/applications", headers=signed_in_as("staff")))
        assert got_in(await probe.get("/staff/applications"))  # staff sign-in pages too
        assert (await probe.get("/healthz")).json() == {"status": "ok"}
    await gateway.let_go()


@pytest.mark.parametrize("made_up_ticket", [False, True], ids=["keeps-no-cookies", "makes-up-tickets"])
async def test_a_client_that_keeps_no_cookies_or_makes_up_tickets_cannot_fill_the_queue_with_places(
        shared: tuple[Redis, str], clock: ManualClock, made_up_ticket: bool) -> None:
    gateway = Gateway(*shared, clock, limit=1, wait_seconds=0)
    gateway.admission.room.new_places_per_address = 3
    await gateway.fill(1)
    async with gateway.visitor() as person:
        for place in (1, 2, 3, None):
            person.cookies.clear()  # a new place every time
            # A made-up ticket is well formed but was never given out.
            headers = {"cookie": f"__Host-queue={new_ticket()}"} if made_up_ticket else {}
            answer = await person.get("/notice", headers=headers)
            if place is None:
                assert answer.status_code == 503 and "retry-after" in answer.headers
            else:
                assert place_of(answer) == place
    await gateway.let_go()


def test_the_gateway_installs_the_admission_control_from_its_settings() -> None:
    settings = GatewaySettings(environment="test", admission_limit=3, waiting_room_refresh_seconds=4,
                               rate_limit_factor=3)
    admission = admission_for(settings, Redis.from_url(REDIS_URL))
    assert admission.limiter.limit == 3 and admission.room.refresh_seconds == 4
    assert admission.room.new_places_per_address == 3 * NEW_PLACES_PER_ADDRESS  # an office behind one address
    assert admission.room.keys[0] == "tqr:gateway:wr:queue"
    defaults = GatewaySettings(environment="test")
    assert defaults.admission_limit == 100 and defaults.admission_wait_seconds > 0
    assert any(m.cls is AdmissionControl for m in create_app(settings).user_middleware)


async def test_r_peak_1_what_is_refused_or_queued_never_reaches_the_session_layer(
        shared: tuple[Redis, str], clock: ManualClock) -> None:
    gateway = Gateway(*shared, clock, limit=1, wait_seconds=0)
    await gateway.fill(1)
    assert gateway.sessions_seen == ["/hold"]
    async with gateway.visitor() as applicant, gateway.visitor() as visitor, gateway.visitor() as program:
        shed = await applicant.post("/apply/step/2", headers=signed_in_as("applicant"))
        queued = await visitor.get("/notice")
        refused = await program.get("/api/v1/registration-options")
        assert (shed.status_code, queued.status_code, refused.status_code) == (503, 200, 503)
        assert place_of(queued) == 1
        # Answered by the admission layer itself, yet with what every answer carries.
        for answer in (shed, queued, refused):
            assert "default-src" in answer.headers["content-security-policy"]
            assert answer.headers["cache-control"] == "no-store" and answer.headers["x-request-id"]
        assert queued.headers["content-language"] == "zh-CN"
        assert refused.json()["request_id"] == refused.headers["x-request-id"]
        assert gateway.sessions_seen == ["/hold"]
    await gateway.let_go()


async def test_r_peak_1_a_forged_session_cookie_is_never_staff_and_queues_behind_the_steps_before_it(
        shared: tuple[Redis, str], clock: ManualClock) -> None:
    gateway = Gateway(*shared, clock, limit=1, wait_seconds=0)
    await gateway.fill(1)
    async with gateway.visitor() as forger, gateway.visitor() as staff:
        # Staff are let by only for a session the gateway remembers as staff's.
        assert (await forger.get("/notice", headers=signed_in_as("staff-forged"))).status_code == 503
        assert got_in(await staff.get("/notice", headers=signed_in_as("staff")))
    await gateway.let_go()

    gateway = Gateway(*shared, clock, limit=1, wait_seconds=60)
    await gateway.fill(1)
    order: list[str] = []

    async def ask(name: str, path: str, who: str) -> None:
        async with gateway.visitor() as client:
            await client.post(path, headers=signed_in_as(who))
            order.append(name)

    step = asyncio.create_task(ask("step", "/apply/step/2", "applicant"))
    await settle()
    forged = asyncio.create_task(ask("forged", "/account/login", "forged"))
    await settle()
    await gateway.end_one()  # the slot goes to the step that came first
    assert order == []
    await gateway.end_one()  # then to the forged cookie, which the session layer finds to be nobody
    await asyncio.gather(*gateway.holding, step, forged)
    assert order == ["step", "forged"]
    assert gateway.sessions_seen[-1] == "/account/login"


def test_the_admission_control_runs_before_the_session_layer_and_the_web_shell() -> None:
    app = create_app(GatewaySettings(environment="test", admission_limit=3))
    outermost_first = [m.cls for m in app.user_middleware]
    assert outermost_first.index(AdmissionControl) == 1  # inside ForwardedClient only


async def test_r_peak_1_places_given_up_hold_back_no_newcomer_on_another_replica(
        shared: tuple[Redis, str], clock: ManualClock) -> None:
    busy = Gateway(*shared, clock, limit=1, wait_seconds=0)
    await busy.fill(1)
    async with busy.visitor() as first, busy.visitor() as second:
        assert place_of(await first.get("/notice")) == 1
        assert place_of(await second.get("/notice")) == 2
    clock.advance(seconds=3 * REFRESH + 1)  # both closed the page: three refreshes missed
    idle = Gateway(*shared, clock, limit=1, wait_seconds=0)  # a replica with nothing in flight
    async with idle.visitor() as program:
        assert got_in(await program.get("/api/v1/registration-options"))
    await busy.let_go()
