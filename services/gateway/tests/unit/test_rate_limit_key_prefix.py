"""The gateway's rate-limit counters live under GATEWAY_REDIS_KEY_PREFIX, so two copies of the system
on one Redis (a test run beside `make run`, two engineers' test runs) never share counters."""

import secrets

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings

pytestmark = pytest.mark.redis
REDIS_URL = "redis://127.0.0.1:6379/0"


def test_the_default_prefix_keeps_the_keys_of_before() -> None:
    assert GatewaySettings().redis_key_prefix == "tqr:gateway"


def test_counters_are_kept_under_the_configured_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = f"tqr-test:{secrets.token_hex(6)}:gateway"
    monkeypatch.setenv("GATEWAY_REDIS_KEY_PREFIX", prefix)
    monkeypatch.setenv("TQR_REDIS_URL", REDIS_URL)
    app = create_app(GatewaySettings())
    plain = Redis.from_url(REDIS_URL)
    try:
        with TestClient(app, base_url="https://testserver") as client:
            limiter = app.state.rate_limiter
            assert limiter.prefix == f"{prefix}:rl:"
            assert client.portal.call(lambda: limiter.hit("codes", "192.0.2.1", limit=5, window_seconds=60)) is None
        keys = [key.decode() for key in plain.scan_iter(match=f"{prefix}:*")]
        assert len(keys) == 1 and keys[0].startswith(f"{prefix}:rl:codes:")
    finally:
        for key in plain.scan_iter(match=f"{prefix}:*"):
            plain.delete(key)
        plain.close()
