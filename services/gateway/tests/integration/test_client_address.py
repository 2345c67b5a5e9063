"""Who a per-client limit counts, through a real gateway process and real sockets.

Two loopback source addresses play the parts: 127.0.0.2 is the ingress (listed in
GATEWAY_TRUSTED_PROXIES), 127.0.0.3 a client that reaches the gateway directly. The limit observed is
the gateway's sign-in rate limit (``POST /api/v1/account/sessions``, per client): it is counted
before the body is read, so an empty body is enough and no service needs to run.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

pytestmark = pytest.mark.redis

REDIS_URL = "redis://127.0.0.1:6379/0"
INGRESS, DIRECT = "127.0.0.2", "127.0.0.3"
# Far above any sign-in limit the gateway sets; only a bound so a broken limit ends the loop.
ENOUGH_ATTEMPTS = 200


@dataclass
class Gateway:
    url: str
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gateway(tmp_path: Path, **settings: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "gateway.log"
    env = {**os.environ, "TQR_ENVIRONMENT": "test", "TQR_REDIS_URL": REDIS_URL, "GATEWAY_HOST": "127.0.0.1",
           "GATEWAY_METRICS_PORT": "-1", "GATEWAY_SECURE_COOKIES": "false", "PYTHONUNBUFFERED": "1", **settings}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "tqr_gateway", "serve"], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    return process, log


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    prefix = f"tqr-test:{secrets.token_hex(6)}:gateway"
    port = free_port()
    process, log = start_gateway(tmp_path, GATEWAY_PORT=str(port), GATEWAY_REDIS_KEY_PREFIX=prefix,
                                 GATEWAY_TRUSTED_PROXIES=f"{INGRESS}, 10.244.0.0/16")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the gateway did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield Gateway(url, log)
    finally:
        process.terminate()
        process.wait(timeout=30)
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(match=f"{prefix}:*"):
            store.delete(key)
        store.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Caller:
    """An HTTP client whose connections come from one loopback address, with a CSRF token."""

    def __init__(self, gateway: Gateway, source: str) -> None:
        self.http = httpx.Client(base_url=gateway.url, transport=httpx.HTTPTransport(local_address=source),
                                 timeout=10)
        self.token = self.http.get("/api/v1/account/csrf-token").json()["csrf_token"]

    def sign_in(self, forwarded_for: str | None = None) -> int:
        headers = {"X-CSRF-Token": self.token}
        if forwarded_for is not None:
            headers["X-Forwarded-For"] = forwarded_for
        return self.http.post("/api/v1/account/sessions", json={}, headers=headers).status_code

    def until_refused(self, forwarded_for: list[str]) -> int:
        """Sign-in attempts until 429; each uses the next X-Forwarded-For. The number made, or 0 if never refused."""
        for attempt in range(ENOUGH_ATTEMPTS):
            if self.sign_in(forwarded_for[attempt % len(forwarded_for)]) == 429:
                return attempt + 1
        return 0

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def ingress(gateway: Gateway) -> Iterator[Caller]:
    caller = Caller(gateway, INGRESS)
    yield caller
    caller.close()


@pytest.fixture
def direct(gateway: Gateway) -> Iterator[Caller]:
    caller = Caller(gateway, DIRECT)
    yield caller
    caller.close()


def test_behind_the_ingress_each_client_is_counted_by_itself(ingress: Caller) -> None:
    # One client behind the ingress, writing a new left part each time (the ingress appends what it saw).
    spoofed = [f"198.51.100.{i}, 203.0.113.7" for i in range(1, 255)]
    assert ingress.until_refused(spoofed) > 0, "the client was never limited: its own left part was believed"
    assert ingress.sign_in("203.0.113.7") == 429
    # Another client behind the same ingress has its own count.
    assert ingress.sign_in("203.0.113.8") != 429
    assert ingress.sign_in("198.51.100.1, 203.0.113.8") != 429


def test_a_client_reaching_the_gateway_directly_is_counted_as_itself(direct: Caller, ingress: Caller) -> None:
    # Its own X-Forwarded-For (a new address each time) is not believed.
    claims = [f"203.0.113.{i}" for i in range(1, 255)]
    assert direct.until_refused(claims) > 0, "the direct client was never limited: its header was believed"
    assert direct.sign_in() == 429
    # The addresses it claimed were not charged: a client behind the ingress with one of them is not limited.
    assert ingress.sign_in(claims[0]) != 429


def test_a_bad_list_stops_the_gateway_at_start(tmp_path: Path) -> None:
    process, log = start_gateway(tmp_path, GATEWAY_PORT=str(free_port()), GATEWAY_TRUSTED_PROXIES="10.244.1.0/16")
    assert process.wait(timeout=60) != 0
    assert "GATEWAY_TRUSTED_PROXIES: '10.244.1.0/16' is not an IP address or network" in log.read_text()


def test_the_retired_setting_stops_the_gateway_with_what_replaced_it(tmp_path: Path) -> None:
    process, log = start_gateway(tmp_path, GATEWAY_PORT=str(free_port()), GATEWAY_TRUST_PROXY_HEADERS="true")
    assert process.wait(timeout=60) != 0
    assert "GATEWAY_TRUSTED_PROXIES" in log.read_text()
