"""The ceiling: a bare FastAPI endpoint served exactly as the gateway is served (one uvicorn process,
same options), driven by the same client at the same concurrency in the same run.

Whatever the machine, the client and uvicorn cost is in both figures, so the ratio of wizard-step
throughput to this ceiling says how much the system itself costs. The endpoint takes a small JSON
body like a wizard step and answers a small JSON document.

``python -m tools.loadtest.ceiling PORT`` serves it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from tools.loadtest.broker import free_port, wait_until
from tools.loadtest.client import ApiClient, Recorder, UnexpectedAnswer, collector_paused
from tools.loadtest.cpu import cpu_seconds
from tools.loadtest.stats import summary


def bare_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.put("/bare")
    async def bare(body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "fields": len(body)}

    return app


def serve(port: int) -> None:
    # The gateway's own uvicorn options (tqr_gateway.__main__), nothing else.
    config = uvicorn.Config(bare_app(), host="127.0.0.1", port=port, log_config=None, access_log=False,
                            timeout_graceful_shutdown=10, proxy_headers=False)
    uvicorn.Server(config).run()


@dataclass
class CeilingResult:
    requests_per_second: float
    latency: dict[str, float | int]
    errors: int
    # CPU seconds over the measured stretch: which side sets the ceiling (on this machine the load
    # generator, one Python process, reaches a whole CPU first).
    cpu_seconds: dict[str, float] = field(default_factory=dict)


def source_address(index: int) -> str:
    """A loopback address of its own per simulated person (all of 127/8 is loopback): the gateway
    limits sign-ins per client address, as it would for people on their own connections."""
    return f"127.{1 + (index // 62500) % 250}.{(index // 250) % 250}.{2 + index % 250}"


async def drive(url: str, concurrency: int, seconds: float) -> CeilingResult:
    recorder = Recorder()
    stop_at = time.monotonic() + seconds
    body = {"point_code": "11010801", "override_warnings": []}

    async def worker(index: int) -> None:
        client = ApiClient(url, source_address(index), recorder)
        try:
            while time.monotonic() < stop_at:
                try:
                    await client.call("bare", "PUT", "/bare", json=body)
                except UnexpectedAnswer as exc:
                    recorder.error("bare", f"HTTP {exc.status}", exc.body)
        finally:
            await client.close()

    with collector_paused():
        started = time.monotonic()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.monotonic() - started
    latencies = recorder.by_step().get("bare", [])
    return CeilingResult(len(latencies) / elapsed, summary(latencies), sum(recorder.errors.values()))


def start_server(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tools.loadtest.ceiling", str(port)],  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def measure(concurrency: int, seconds: float) -> CeilingResult:
    """Start the bare server in its own process, warm it up, drive it, stop it."""
    port = free_port()
    process = start_server(port)
    try:
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                return httpx.put(f"{url}/bare", json={}, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_until(answers, 30, "the bare endpoint")
        await drive(url, concurrency, min(2.0, seconds / 5))  # warm-up, not counted
        server_before, generator_before = cpu_seconds(process.pid), cpu_seconds(os.getpid())
        result = await drive(url, concurrency, seconds)
        result.cpu_seconds = {"bare server": round(cpu_seconds(process.pid) - server_before, 2),
                              "load generator": round(cpu_seconds(os.getpid()) - generator_before, 2)}
        return result
    finally:
        process.terminate()
        process.wait(timeout=15)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
