"""Liveness and readiness answer under different health names (a host started in this process).

Readiness ("" and each service's name) follows the database and the broker; liveness
(``LIVENESS``) says whether the process itself still works: it stays SERVING while the database is
away, turns NOT_SERVING when the process stops, and does not answer at all while the event loop is
stuck. The long outage through a real service process is in test_outage_liveness.py.
"""

from __future__ import annotations

import asyncio
import threading

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from servicekit import db
from servicekit.host import HostParts, ServiceHost
from servicekit.rpc.server import LIVENESS
from servicekit.service_settings import ServiceSettings
from sqlalchemy.engine import make_url
from testkit import wait_for
from testkit.tcp_proxy import TcpProxy

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE = "tqr.documents.v1.DocumentsService"
READINESS = ("", SERVICE)


async def start_host(url: str, drain_seconds: float = 0.0) -> ServiceHost:
    settings = ServiceSettings(grpc_port=0, metrics_port=-1, database_url=url, drain_seconds=drain_seconds,
                               shutdown_grace_seconds=1)
    host = ServiceHost(settings, HostParts(name="probe", engine=db.create_engine(url), service_names=[SERVICE]),
                       health_interval=0.2)
    await host.start()
    return host


async def status_of(port: int, name: str) -> int:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        answer = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=name), timeout=5)
    return answer.status


async def statuses(port: int) -> dict[str, int]:
    return {name: await status_of(port, name) for name in (LIVENESS, *READINESS)}


def through(proxy: TcpProxy, url: str) -> str:
    parsed = make_url(url)
    return parsed.set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)


@pytest.mark.postgres
async def test_liveness_stays_serving_while_readiness_follows_the_database(pg_url):
    parsed = make_url(pg_url)
    async with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        host = await start_host(through(proxy, pg_url))
        try:
            assert await statuses(host.port) == {LIVENESS: SERVING, "": SERVING, SERVICE: SERVING}

            await proxy.cut()
            await wait_for(lambda: _readiness_is(host.port, NOT_SERVING), what="readiness NOT_SERVING")
            assert await statuses(host.port) == {LIVENESS: SERVING, "": NOT_SERVING, SERVICE: NOT_SERVING}

            await proxy.restore()
            await wait_for(lambda: _readiness_is(host.port, SERVING), timeout=30, what="readiness SERVING again")
            assert await statuses(host.port) == {LIVENESS: SERVING, "": SERVING, SERVICE: SERVING}
        finally:
            await host.stop()


async def _readiness_is(port: int, status: int) -> bool:
    return all([await status_of(port, name) == status for name in READINESS])


async def test_liveness_turns_not_serving_when_the_process_stops(sqlite_url):
    host = await start_host(sqlite_url, drain_seconds=3)
    assert await status_of(host.port, LIVENESS) == SERVING
    stopping = asyncio.create_task(host.stop())
    try:
        # While it drains, the server still answers: every name says NOT_SERVING.
        await wait_for(lambda: _liveness_is(host.port, NOT_SERVING), what="liveness NOT_SERVING while stopping")
        assert await statuses(host.port) == {LIVENESS: NOT_SERVING, "": NOT_SERVING, SERVICE: NOT_SERVING}
    finally:
        await stopping


async def _liveness_is(port: int, status: int) -> bool:
    return await status_of(port, LIVENESS) == status


async def test_a_stuck_event_loop_does_not_answer_liveness(sqlite_url):
    """What the probe relies on: the answer comes from the event loop, so a loop that no longer
    turns leaves the probe without an answer (it times out and counts as a failure)."""
    host = await start_host(sqlite_url)
    connected, loop_stuck, answered = threading.Event(), threading.Event(), threading.Event()
    outcome: list[grpc.StatusCode] = []

    def ask_while_the_loop_is_stuck() -> None:
        with grpc.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            stub.Check(health_pb2.HealthCheckRequest(service=LIVENESS), timeout=5)
            connected.set()
            loop_stuck.wait(30)
            try:
                stub.Check(health_pb2.HealthCheckRequest(service=LIVENESS), timeout=0.5)
                outcome.append(grpc.StatusCode.OK)
            except grpc.RpcError as error:
                outcome.append(error.code())  # type: ignore[attr-defined]
            finally:
                answered.set()

    asker = threading.Thread(target=ask_while_the_loop_is_stuck, daemon=True)
    asker.start()
    try:
        await asyncio.to_thread(connected.wait, 30)
        loop_stuck.set()
        answered.wait(30)  # blocks the event loop until the question has had its answer
        assert outcome == [grpc.StatusCode.DEADLINE_EXCEEDED]
        assert await status_of(host.port, LIVENESS) == SERVING  # the loop turns again: alive
    finally:
        await asyncio.to_thread(asker.join, 30)
        await host.stop()
