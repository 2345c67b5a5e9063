"""A two-minute outage of PostgreSQL and one of RabbitMQ, each under a real service process of its own
(side by side, in one test).

The application service runs as it runs in production (``python -m tqr_application serve``) on the
machine's PostgreSQL and RabbitMQ, but reaches one of them through a TCP proxy the test controls.
While the dependency is cut the test asks the health service every second for both names:
liveness must say SERVING the whole time (a Kubernetes liveness probe on it must not restart the
pod: a restart brings no database back, and every pod failing at once is a restart storm), and
readiness must say NOT_SERVING once the service has noticed. After the dependency returns,
readiness comes back by itself and real work succeeds, in the same process that was never
restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import grpc
import pytest
import testkit
from grpc_health.v1 import health_pb2, health_pb2_grpc
from servicekit import db
from servicekit.outbox import OutboxWriter
from servicekit.rpc.server import LIVENESS
from sqlalchemy.engine import make_url
from testkit import free_port, wait_for
from testkit.tcp_proxy import TcpProxy
from tqr.application.v1 import application_pb2, application_pb2_grpc, events_pb2
from tqr_application.adapters import orm

# beside: two minutes of waiting on a service process, proxies and a database of its own.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.broker, pytest.mark.beside]

# The issue asks for two minutes: longer than the 60 s after which the old liveness probe
# (failureThreshold 6 × periodSeconds 10 on the readiness answer) restarted every pod.
OUTAGE_SECONDS = 120
POLL_SECONDS = 1.0
READINESS = ("", "tqr.application.v1.ReferenceDataService")
SERVING = "SERVING"
NOT_SERVING = "NOT_SERVING"


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class Observations:
    """What the health service answered, one entry per poll (a status name, or the error code)."""

    liveness: list[str] = field(default_factory=list)
    readiness: list[str] = field(default_factory=list)
    process_exited: bool = False

    def readiness_noticed_then_held(self) -> bool:
        """SERVING until the service noticed the outage, then NOT_SERVING to the end of it."""
        if NOT_SERVING not in self.readiness:
            return False
        noticed = self.readiness.index(NOT_SERVING)
        return set(self.readiness[:noticed]) <= {SERVING} and set(self.readiness[noticed:]) == {NOT_SERVING}


async def answer_of(port: int, name: str) -> str:
    """One probe, as the kubelet makes it: a fresh connection, one Check."""
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=name), timeout=10)
    except grpc.aio.AioRpcError as error:
        return str(error.code().name)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


async def readiness_of(port: int) -> str:
    answers = {await answer_of(port, name) for name in READINESS}
    return answers.pop() if len(answers) == 1 else f"mixed {sorted(answers)}"


async def observe_outage(service: Service, seconds: float) -> Observations:
    seen = Observations()
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        seen.liveness.append(await answer_of(service.port, LIVENESS))
        seen.readiness.append(await readiness_of(service.port))
        seen.process_exited = seen.process_exited or service.process.poll() is not None
        await asyncio.sleep(POLL_SECONDS)
    return seen


def runs(answers: list[str]) -> str:
    """``SERVING ×2, NOT_SERVING ×118``: the answers in order, repeats counted."""
    return ", ".join(f"{answer} ×{len(list(group))}" for answer, group in itertools.groupby(answers))


def describe(seen: Observations, service: Service) -> str:
    return (f"liveness: {runs(seen.liveness)}\nreadiness: {runs(seen.readiness)}\n"
            f"service log (end):\n{service.log_tail()}")


def through(proxy: TcpProxy, url: str) -> str:
    return make_url(url).set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def application_service(tmp_path: Path, database_url: str, amqp_url: str,
                              exchange: str) -> AsyncIterator[Service]:
    env = {
        **os.environ,
        "TQR_ENVIRONMENT": "test", "TQR_LOG_LEVEL": "INFO", "TQR_AMQP_URL": amqp_url, "TQR_EXCHANGE": exchange,
        "TQR_QUEUE_PREFIX": f"{exchange}.", "APPLICATION_DATABASE_URL": database_url,
        "APPLICATION_GRPC_PORT": str(free_port()), "APPLICATION_METRICS_PORT": "-1",
        "APPLICATION_DRAIN_SECONDS": "0", "APPLICATION_SHUTDOWN_GRACE_SECONDS": "2",
    }
    log = tmp_path / "application.log"
    with log.open("ab") as output:
        process = subprocess.Popen([sys.executable, "-m", "tqr_application", "serve"], env=env,
                                   stdout=output, stderr=output)
    service = Service(process, int(env["APPLICATION_GRPC_PORT"]), log)
    try:
        await wait_for(lambda: _ready(service), timeout=90, interval=0.2, what="the service to be ready")
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()


async def _ready(service: Service) -> bool:
    if service.process.poll() is not None:
        raise AssertionError(f"the service exited at start:\n{service.log_tail()}")
    return await readiness_of(service.port) == SERVING


async def migrate(database_url: str) -> None:
    env = {**os.environ, "TQR_ENVIRONMENT": "test", "APPLICATION_DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "tqr_application", "migrate", env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")


async def add_region(pg_url: str, code: str, name: str) -> None:
    """Written straight into the service's database (not through the proxy), with the reference
    version bumped, as an import would: the service must read it from the database to list it."""
    connection = await asyncpg.connect(pg_url)
    try:
        async with connection.transaction():
            await connection.execute("INSERT INTO regions (code, name, level, parent_code) VALUES ($1, $2, $3, NULL)",
                                     code, name, "PROVINCE")
            await connection.execute("UPDATE reference_version SET version = version + 1 WHERE id = 1")
    finally:
        await connection.close()


async def provinces(service: Service) -> list[str]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        reply = await application_pb2_grpc.ReferenceDataServiceStub(channel).ListRegions(
            application_pb2.ListRegionsRequest(), timeout=10)
    return [region.name for region in reply.regions]


async def list_regions_code(service: Service) -> grpc.StatusCode:
    try:
        await provinces(service)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.timeout(OUTAGE_SECONDS + 300)
async def test_postgres_and_rabbitmq_each_away_two_minutes_liveness_holds_and_work_returns(
        pg_url, amqp_url, tmp_path):
    """The two outages side by side, each cutting one dependency of a service process of its own
    (its own database, exchange and proxy): most of each is waiting, so together they take the
    time of one."""
    async with testkit.postgres_database() as second_url:
        await asyncio.gather(
            postgres_away(pg_url, amqp_url, tmp_path / "postgres"),
            rabbitmq_away(second_url, amqp_url, tmp_path / "rabbitmq"),
        )


async def postgres_away(pg_url: str, amqp_url: str, tmp_path: Path) -> None:
    """Liveness holds, readiness notices and returns by itself, the data is read afresh."""
    tmp_path.mkdir()
    await migrate(pg_url)
    parsed = make_url(pg_url)
    async with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy, \
            application_service(tmp_path, through(proxy, pg_url), amqp_url, f"t{uuid.uuid4().hex[:8]}") as service:
        pid = service.process.pid
        assert await answer_of(service.port, LIVENESS) == SERVING
        await add_region(pg_url, "110000", "北京市")
        assert await provinces(service) == ["北京市"]

        await proxy.cut()
        try:
            refused = await list_regions_code(service)  # a call in the outage: refused cleanly, retryable
            await add_region(pg_url, "310000", "上海市")  # written meanwhile; the service cannot see it yet
            seen = await observe_outage(service, OUTAGE_SECONDS)
        finally:
            await proxy.restore()
        assert refused == grpc.StatusCode.UNAVAILABLE, service.log_tail()
        assert set(seen.liveness) == {SERVING}, describe(seen, service)
        assert seen.readiness_noticed_then_held(), describe(seen, service)
        assert not seen.process_exited, describe(seen, service)

        await wait_for(lambda: _readiness_is(service, SERVING), timeout=60, interval=0.5,
                       what="readiness SERVING again after the database returned")
        assert await answer_of(service.port, LIVENESS) == SERVING
        assert await provinces(service) == ["北京市", "上海市"]  # read afresh from the database
        assert service.process.poll() is None and service.process.pid == pid  # the same process, never restarted


async def rabbitmq_away(pg_url: str, amqp_url: str, tmp_path: Path) -> None:
    """Liveness holds, readiness notices and returns by itself, events flow again."""
    tmp_path.mkdir()
    await migrate(pg_url)
    amqp = urlsplit(amqp_url)
    exchange = f"t{uuid.uuid4().hex[:8]}"
    event_type = events_pb2.ApplicationUpdated.DESCRIPTOR.full_name
    async with TcpProxy(amqp.hostname or "127.0.0.1", amqp.port or 5672) as proxy, \
            application_service(tmp_path, pg_url, amqp_url.replace(amqp.netloc.rsplit("@", 1)[-1], proxy.address, 1),
                                exchange) as service:
        pid = service.process.pid
        assert await answer_of(service.port, LIVENESS) == SERVING
        # The test's own connection goes straight to the broker, not through the proxy.
        broker = await aio_pika.connect(amqp_url)
        try:
            channel = await broker.channel()
            queue = await channel.declare_queue(exclusive=True)
            await queue.bind(await channel.get_exchange(exchange), routing_key=event_type)

            await proxy.cut()
            try:
                seen = await observe_outage(service, OUTAGE_SECONDS)
            finally:
                await proxy.restore()
            assert set(seen.liveness) == {SERVING}, describe(seen, service)
            assert seen.readiness_noticed_then_held(), describe(seen, service)
            assert not seen.process_exited, describe(seen, service)

            await wait_for(lambda: _readiness_is(service, SERVING), timeout=60, interval=0.5,
                           what="readiness SERVING again after the broker returned")
            # The relay publishes again: an event committed now reaches the broker.
            event_id = await stage_event(pg_url)
            message = await wait_for(lambda: queue.get(fail=False, no_ack=True), timeout=60, interval=0.5,
                                     what="the event published after the broker returned")
            assert message.message_id == event_id
            assert await provinces(service) == []
            assert service.process.poll() is None and service.process.pid == pid
        finally:
            await broker.close()


async def _readiness_is(service: Service, status: str) -> bool:
    if service.process.poll() is not None:
        raise AssertionError(f"the service exited:\n{service.log_tail()}")
    return await readiness_of(service.port) == status


async def stage_event(pg_url: str) -> str:
    """An event committed into the service's outbox, as a state change would stage it."""
    engine = db.create_engine(pg_url)
    try:
        async with db.sessionmaker(engine)() as session, session.begin():
            return await OutboxWriter(orm.outbox, "application").stage(
                session, events_pb2.ApplicationUpdated(application_id="app-1", changed_sections=["CONTACT"]),
                aggregate_id="app-1")
    finally:
        await engine.dispose()
