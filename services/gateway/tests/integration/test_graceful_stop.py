"""The gateway stopped with SIGTERM, as a rolling restart stops it: a real gateway process in front of
a real gRPC server (tests/foundation/replica.py, the servicekit host, standing in for every service).

First it drains: /healthz and /readyz answer 503 so balancers send new requests elsewhere, while
every request that still comes is served (and told to close its connection). Then it stops accepting,
finishes the request in flight, closes its channels and exits with 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from testkit import free_port, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[4]
BACKEND = "127.0.0.1"
SERVICES = ("IDENTITY", "APPLICATION", "NOTIFICATION", "DOCUMENTS")
DRAIN_SECONDS = 2


@dataclass
class Running:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    backend_log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
async def system(tmp_path: Path, redis_prefix: str) -> AsyncIterator[Running]:
    backend_port, port = free_port(), free_port()
    backend_log = tmp_path / "backend.log"
    backend = subprocess.Popen(
        [sys.executable, "-m", "tests.foundation.replica", BACKEND, str(backend_port), str(backend_log)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    log = tmp_path / "gateway.log"
    env = {**os.environ, "TQR_ENVIRONMENT": "test", "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port),
           "GATEWAY_METRICS_PORT": "-1", "GATEWAY_SECURE_COOKIES": "false", "PYTHONUNBUFFERED": "1",
           "GATEWAY_REDIS_KEY_PREFIX": f"{redis_prefix}gateway", "GATEWAY_DRAIN_SECONDS": str(DRAIN_SECONDS),
           "GATEWAY_RPC_TIMEOUT_SECONDS": "60",
           **{f"GATEWAY_{service}_ADDRESSES": f"{BACKEND}:{backend_port}" for service in SERVICES}}
    with log.open("wb") as out:
        gateway = subprocess.Popen([sys.executable, "-m", "tqr_gateway", "serve"], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    running = Running(f"http://127.0.0.1:{port}", gateway, log, backend_log)
    try:
        await wait_for(lambda: _backend_serving(backend_port), timeout=60, what="the backend")
        await wait_for(lambda: _answers(running.url, "/readyz", 200), timeout=60, what="the gateway ready")
        yield running
    finally:
        for process in (gateway, backend):
            if process.poll() is None:
                process.kill()
                process.wait()


async def _backend_serving(port: int) -> bool:
    try:
        async with grpc.aio.insecure_channel(f"{BACKEND}:{port}") as channel:
            answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
    except grpc.aio.AioRpcError:
        return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


async def _status(url: str, path: str) -> int:
    """The status of a GET on a new connection (0 when no connection is accepted)."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            return (await client.get(f"{url}{path}")).status_code
    except httpx.TransportError:
        return 0


async def _answers(url: str, path: str, status: int) -> bool:
    return await _status(url, path) == status


async def test_sigterm_drains_then_finishes_the_request_in_flight_and_exits_0(system: Running):
    release = system.backend_log.with_name(system.backend_log.name + ".release")
    async with httpx.AsyncClient(timeout=60) as client:
        held = asyncio.create_task(client.get(f"{system.url}/api/v1/authorities", params={"region": "hold"}))
        await wait_for(lambda: "hold" in _read(system.backend_log), what="the held request at the backend")

        system.process.send_signal(signal.SIGTERM)
        await wait_for(lambda: _answers(system.url, "/readyz", 503), what="/readyz to answer 503")
        assert await _status(system.url, "/healthz") == 503  # the Ingress's readiness probe asks this one
        assert await _status(system.url, "/livez") == 200  # alive: no reason to restart it

        # Draining, not closed: a request that still comes is served, and its connection closed after.
        during = await client.get(f"{system.url}/api/v1/authorities", params={"region": "110000"})
        assert during.status_code == 200, system.output()
        assert during.json()[0]["name"] == BACKEND
        assert during.headers["connection"] == "close"

        # After the drain: no new connection, but the request in flight is still awaited.
        await wait_for(lambda: _answers(system.url, "/livez", 0), timeout=DRAIN_SECONDS + 30,
                       what="the gateway to stop accepting")
        assert not held.done()
        release.touch()
        answer = await held
    assert answer.status_code == 200, system.output()
    assert answer.json()[0]["region_code"] == "hold"
    assert await asyncio.to_thread(system.process.wait, 30) == 0, system.output()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
