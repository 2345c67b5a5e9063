"""The Redis rate limiter (real Redis, random key prefix): 429 with Retry-After past the limit."""

import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from redis.asyncio import Redis
from servicekit.clock import ManualClock
from tqr_gateway.security.ratelimit import FixedWindowLimiter, RateLimit
from tqr_gateway.web.shell import install_web_shell

pytestmark = pytest.mark.redis
REDIS_URL = "redis://127.0.0.1:6379/0"
# 15 s into a 60 s window (epoch-aligned): 45 s remain.
START = datetime(2026, 3, 1, 1, 0, 15, tzinfo=UTC)


async def delete_prefix(redis: Redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


def build_app(prefix: str, clock: ManualClock, redis_url: str = REDIS_URL, factor: int = 1) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = Redis.from_url(redis_url, socket_connect_timeout=0.5)
        app.state.rate_limiter = FixedWindowLimiter(redis, prefix=prefix, clock=clock, factor=factor)
        yield
        if redis_url == REDIS_URL:
            await delete_prefix(redis, prefix)
        await redis.aclose()

    app = FastAPI(lifespan=lifespan)
    install_web_shell(app, secret_key="test-secret-0123456789abcdef")

    @app.get("/api/v1/codes", dependencies=[Depends(RateLimit("codes", limit=2, window_seconds=60))])
    async def codes() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/account/login", dependencies=[Depends(RateLimit("login", limit=2, window_seconds=60))])
    async def login() -> dict[str, bool]:
        return {"ok": True}

    return app


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def client(clock: ManualClock) -> Iterator[TestClient]:
    prefix = f"test:gw:rl:{secrets.token_hex(6)}:"
    with TestClient(build_app(prefix, clock), base_url="https://testserver") as test_client:
        yield test_client


def test_the_request_past_the_limit_gets_429_with_retry_after(client: TestClient) -> None:
    assert client.get("/api/v1/codes").status_code == 200
    assert client.get("/api/v1/codes").status_code == 200
    refused = client.get("/api/v1/codes")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "45"
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert refused.json()["retry_after"] == 45


def test_the_factor_multiplies_every_routes_limit(clock: ManualClock) -> None:
    prefix = f"test:gw:rl:{secrets.token_hex(6)}:"
    with TestClient(build_app(prefix, clock, factor=3), base_url="https://testserver") as client:
        answers = [client.get("/api/v1/codes").status_code for _ in range(7)]
    assert answers == [200] * 6 + [429]


def test_people_get_a_page_in_their_language(client: TestClient) -> None:
    for _ in range(2):
        client.get("/account/login")
    refused = client.get("/account/login", headers={"Accept": "text/html"})
    assert refused.status_code == 429
    assert "操作过于频繁，请在 45 秒后再试" in refused.text
    assert '<html lang="zh-CN">' in refused.text


def test_the_next_window_starts_afresh(client: TestClient, clock: ManualClock) -> None:
    for _ in range(2):
        client.get("/api/v1/codes")
    assert client.get("/api/v1/codes").status_code == 429
    clock.advance(timedelta(seconds=45))
    assert client.get("/api/v1/codes").status_code == 200


def test_route_groups_are_counted_separately(client: TestClient) -> None:
    for _ in range(2):
        client.get("/api/v1/codes")
    assert client.get("/api/v1/codes").status_code == 429
    assert client.get("/account/login").status_code == 200


async def test_clients_are_counted_separately_and_keys_hold_no_address() -> None:
    redis = Redis.from_url(REDIS_URL)
    prefix = f"test:gw:rl:{secrets.token_hex(6)}:"
    limiter = FixedWindowLimiter(redis, prefix=prefix, clock=ManualClock(START))
    try:
        assert await limiter.hit("codes", "10.0.0.1", limit=1, window_seconds=60) is None
        assert await limiter.hit("codes", "10.0.0.1", limit=1, window_seconds=60) == 45
        assert await limiter.hit("codes", "10.0.0.2", limit=1, window_seconds=60) is None
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        assert len(keys) == 2
        assert not any(b"10.0.0" in key for key in keys)
        ttls = [await redis.ttl(key) for key in keys]
        assert all(0 < ttl <= 46 for ttl in ttls), ttls  # gone soon after the window ends
    finally:
        await delete_prefix(redis, prefix)
        await redis.aclose()


def test_an_unreachable_redis_lets_requests_through(clock: ManualClock) -> None:
    app = build_app("unused:", clock, redis_url="redis://127.0.0.1:1/0")
    with TestClient(app, base_url="https://testserver") as test_client:
        for _ in range(4):
            assert test_client.get("/api/v1/codes").status_code == 200
