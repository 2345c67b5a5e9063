"""Steady traffic through the gateways while a test scales, stops or restarts pods.

A fixed number of requests per second, spread over the gateway pods' addresses (the role of the
ingress), mixing calls that reach identity and application: reads that a client may retry, and a
human-check answer, which writes (its gRPC method is not retried; an unknown challenge is simply not
passed). Not a human-check issue: identity limits those per client address, and all this traffic
comes from one. Every answer that is not the expected success is kept, with its time, so a test can
say exactly what failed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

CSRF_COOKIE = "__Host-csrf"


@dataclass
class Outcome:
    at: float
    route: str
    status: int
    detail: str = ""


@dataclass
class Load:
    """``rate`` requests a second to the addresses ``gateways()`` returns at each moment."""

    gateways: Callable[[], list[str]]
    rate: float = 30.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    ROUTES = (
        ("GET", "/api/v1/authorities"),
        ("GET", "/api/v1/account/registration-options"),
        ("POST", "/api/v1/account/human-checks/load-test/answer"),
    )

    def start(self) -> Load:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)

    def failures(self, since: float = 0.0) -> list[Outcome]:
        return [o for o in self.outcomes if o.at >= since and not 200 <= o.status < 300]

    def count(self, since: float = 0.0) -> int:
        return sum(1 for o in self.outcomes if o.at >= since)

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=15) as client:
            tokens: dict[str, tuple[str, str]] = {}
            in_flight: set[asyncio.Task[None]] = set()
            started = time.monotonic()
            sent = 0
            while not self._stop.is_set():
                due = started + sent / self.rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                addresses = self.gateways()
                if not addresses:
                    continue
                method, path = self.ROUTES[sent % len(self.ROUTES)]
                address = addresses[sent % len(addresses)]
                task = asyncio.create_task(self._one(client, tokens, address, method, path))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                sent += 1
            if in_flight:
                await asyncio.wait(in_flight, timeout=30)

    async def _one(self, client: httpx.AsyncClient, tokens: dict[str, tuple[str, str]], address: str,
                   method: str, path: str) -> None:
        at = time.time()
        try:
            if method == "GET":
                reply = await client.get(f"http://{address}{path}")
            else:
                cookie, token = tokens.get(address) or await _csrf(client, address)
                tokens[address] = (cookie, token)
                reply = await client.post(f"http://{address}{path}", json={"kind": "text", "answer": "0"},
                                          headers={"Cookie": f"{CSRF_COOKIE}={cookie}", "X-CSRF-Token": token})
            self.outcomes.append(Outcome(at, path, reply.status_code, "" if reply.is_success else reply.text[:300]))
        except httpx.HTTPError as error:
            self.outcomes.append(Outcome(at, path, 0, f"{type(error).__name__} from {address}: {error}"))


async def _csrf(client: httpx.AsyncClient, address: str) -> tuple[str, str]:
    """The CSRF cookie and token of an anonymous visitor (the cookie is Secure, so sent by hand)."""
    reply = await client.get(f"http://{address}/api/v1/account/csrf-token")
    reply.raise_for_status()
    cookie = reply.cookies.get(CSRF_COOKIE) or ""
    return cookie, reply.json()["csrf_token"]


def calls_served(metrics_text: str, service: str) -> float:
    """gRPC calls a backend pod answered (health checks excluded), from its /metrics."""
    total = 0.0
    for line in metrics_text.splitlines():
        if line.startswith("tqr_grpc_server_requests_total{") and f'service="{service}"' in line \
                and "Health" not in line:
            total += float(line.rsplit(" ", 1)[1])
    return total
