"""The gRPC server and clients: health, refusals, undecodable requests, round-robin, retries,
deadlines and graceful shutdown, over real sockets."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from servicekit import correlation, db, errors
from servicekit.host import HostParts, ServiceHost
from servicekit.rpc.client import open_channel, target_for
from servicekit.rpc.errors import from_rpc_error
from servicekit.rpc.server import LIVENESS
from servicekit.service_settings import ServiceSettings
from testkit import postgres_database, wait_for
from tqr.documents.v1 import documents_pb2, documents_pb2_grpc

SERVICE = "tqr.documents.v1.DocumentsService"


class Probe(documents_pb2_grpc.DocumentsServiceServicer):
    """Answers VerifyFormCode by what the code says, so each test can steer the server."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0
        self.seen_correlation: list[str] = []

    async def VerifyFormCode(self, request, context):
        self.calls += 1
        self.seen_correlation.append(correlation.current())
        if request.code == "refuse":
            raise errors.InvalidInput(
                [errors.FieldProblem("code", "R-TEST-1", "请填写", "Fill it in")], "R-TEST-1", "有误", "Wrong"
            )
        if request.code == "throttle":
            raise errors.TooManyRequests("R-ID-8", "稍后再试", "Try later", retry_after=42)
        if request.code == "crash":
            raise ZeroDivisionError("a bug")
        if request.code == "file-missing":  # an OSError that is a bug, not an outage
            raise FileNotFoundError(2, "No such file or directory")
        if request.code.startswith("unavailable") and self.calls <= int(request.code[11:]):
            raise errors.DependencyUnavailable("BUSY", "服务繁忙", "Busy")
        if request.code == "redis-down":
            import redis.exceptions

            raise redis.exceptions.ConnectionError("Connection refused")
        if request.code == "redis-loading":  # a restarted Redis still reading its data
            import redis.exceptions

            raise redis.exceptions.BusyLoadingError("Redis is loading the dataset in memory")
        if request.code == "timed-out":  # a dependency awaited with a time limit did not answer
            raise TimeoutError()
        if request.code == "database-down":
            from sqlalchemy.exc import OperationalError

            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
        if request.code == "name-unresolved":  # the database's host name did not resolve (DNS away)
            import socket

            raise socket.gaierror(-3, "Temporary failure in name resolution")  # as asyncpg's connect raises it
        if request.code.startswith("sqlstate-"):  # e.g. PgBouncer's 08P01 when no connection came in time
            from sqlalchemy.exc import DBAPIError

            class DriverError(Exception):
                sqlstate = request.code.removeprefix("sqlstate-")

            raise DBAPIError("SELECT 1", {}, DriverError("query_wait_timeout"))
        if request.code == "host-unreachable":  # no route to the database's host for a moment
            import errno

            raise OSError(errno.EHOSTUNREACH, "No route to host")
        if request.code.startswith("sleep"):
            await asyncio.sleep(float(request.code[5:]))
        return documents_pb2.VerifyFormCodeResponse(genuine=True, application_number=self.name)


async def start_host(url: str, probe: Probe, drain_seconds: float = 0.5) -> ServiceHost:
    settings = ServiceSettings(grpc_port=0, metrics_port=-1, database_url=url, shutdown_grace_seconds=5,
                               drain_seconds=drain_seconds)
    parts = HostParts(
        name="probe",
        engine=db.create_engine(url),
        register=[lambda server: documents_pb2_grpc.add_DocumentsServiceServicer_to_server(probe, server)],
        service_names=[SERVICE],
    )
    host = ServiceHost(settings, parts, health_interval=0.2)
    await host.start()
    return host


async def health_of(port: int, service: str = "") -> int:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        answer = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=2
        )
        return answer.status


async def test_refusal_travels_with_its_rule_id_and_field_problems(sqlite_url):
    host = await start_host(sqlite_url, Probe("a"))
    try:
        async with open_channel(f"127.0.0.1:{host.port}", SERVICE) as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="refuse"))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            refusal = from_rpc_error(caught.value)
            assert isinstance(refusal, errors.InvalidInput)
            assert refusal.code == "R-TEST-1" and refusal.problems[0].message_zh == "请填写"

            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="throttle"))
            throttled = from_rpc_error(caught.value)
            assert isinstance(throttled, errors.TooManyRequests) and throttled.retry_after == 42

            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="crash"))
            assert caught.value.code() == grpc.StatusCode.INTERNAL
            assert "ZeroDivision" not in (caught.value.details() or "")  # no internals leak

            for bug in ("file-missing", "sqlstate-42P01"):  # an OSError of no network; an undefined table
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code=bug))
                assert caught.value.code() == grpc.StatusCode.INTERNAL, bug
    finally:
        await host.stop()


async def test_text_with_control_or_bidi_characters_is_refused_before_the_handler_runs(sqlite_url):
    probe = Probe("a")
    host = await start_host(sqlite_url, probe)
    try:
        async with open_channel(f"127.0.0.1:{host.port}", SERVICE) as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            for code in ("ok\x00", "ok\u202e"):
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code=code))
                assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                refusal = from_rpc_error(caught.value)
                assert isinstance(refusal, errors.InvalidInput) and refusal.problems[0].field == "code"
                assert refusal.problems[0].code == "UNSAFE_TEXT"
            assert probe.calls == 0
            await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="line one\nline two"))
            assert probe.calls == 1
    finally:
        await host.stop()


async def test_undecodable_request_is_invalid_argument(sqlite_url):
    host = await start_host(sqlite_url, Probe("a"))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            raw = channel.unary_unary(f"/{SERVICE}/VerifyFormCode")
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await raw(b"\x0a\xff\xff\xff\xff\x0f", timeout=5)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        await host.stop()


async def test_health_is_not_serving_while_the_database_is_unreachable():
    async with postgres_database() as url:
        host = await start_host(url, Probe("a"))
        try:
            assert await health_of(host.port, SERVICE) == health_pb2.HealthCheckResponse.SERVING
            await host.engine.dispose()
            # Make the database refuse new connections, as an outage would.
            import asyncpg
            from testkit import PG_ADMIN_URL
            name = url.rsplit("/", 1)[1]
            admin = await asyncpg.connect(PG_ADMIN_URL)
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
            try:
                await wait_for(lambda: _status_is(host.port, health_pb2.HealthCheckResponse.NOT_SERVING),
                               what="NOT_SERVING")
            finally:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                await admin.close()
            await wait_for(lambda: _status_is(host.port, health_pb2.HealthCheckResponse.SERVING),
                           what="SERVING again")
        finally:
            await host.stop()


async def _status_is(port: int, status: int, service: str = SERVICE) -> bool:
    return await health_of(port, service) == status


async def test_round_robin_spreads_calls_over_every_replica(sqlite_url, tmp_path):
    probes = [Probe("one"), Probe("two")]
    hosts = [await start_host(f"sqlite:///{tmp_path}/r{i}.db", p) for i, p in enumerate(probes)]
    try:
        addresses = ",".join(f"127.0.0.1:{h.port}" for h in hosts)
        assert target_for(addresses).startswith("ipv4:")
        async with open_channel(addresses, SERVICE, idempotent_methods=["VerifyFormCode"]) as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            answers = [
                (await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="x"))).application_number
                for _ in range(20)
            ]
        assert set(answers) == {"one", "two"}
        assert all(p.calls >= 5 for p in probes)
    finally:
        for host in hosts:
            await host.stop()


async def test_idempotent_methods_are_retried_on_unavailable_and_others_are_not(sqlite_url):
    probe = Probe("flaky")
    host = await start_host(sqlite_url, probe)
    try:
        async with open_channel(f"127.0.0.1:{host.port}", SERVICE, idempotent_methods=[]) as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="unavailable2"))
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert probe.calls == 1  # not idempotent: tried once

        probe.calls = 0
        async with open_channel(f"127.0.0.1:{host.port}", SERVICE, idempotent_methods=["VerifyFormCode"]) as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            answer = await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="unavailable2"))
            assert answer.application_number == "flaky"
            assert probe.calls == 3  # two UNAVAILABLE answers, then success
    finally:
        await host.stop()


async def test_every_call_has_a_deadline_and_carries_the_correlation_id(sqlite_url):
    probe = Probe("a")
    host = await start_host(sqlite_url, probe)
    try:
        async with open_channel(f"127.0.0.1:{host.port}", SERVICE, timeout_seconds=0.3) as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            with correlation.bound("req-123"):
                await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="x"))
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="sleep2"))
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert probe.seen_correlation[0] == "req-123"
    finally:
        await host.stop()


async def test_shutdown_reports_not_serving_and_finishes_calls_in_flight(sqlite_url):
    probe = Probe("a")
    host = await start_host(sqlite_url, probe, drain_seconds=3)
    async with open_channel(f"127.0.0.1:{host.port}", SERVICE, timeout_seconds=5) as channel:
        stub = documents_pb2_grpc.DocumentsServiceStub(channel)
        in_flight = asyncio.ensure_future(stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="sleep2")))
        await wait_for(lambda: probe.calls == 1, what="the call to arrive")
        stopping = asyncio.create_task(host.stop())
        await wait_for(lambda: _status_is(host.port, health_pb2.HealthCheckResponse.NOT_SERVING),
                       what="NOT_SERVING")
        # First the drain: readiness says NOT_SERVING (probes and DNS let the replica go) while
        # callers that still come are answered.
        assert (await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="x"))).genuine
        assert probe.calls == 2
        # Then liveness, which the channel watches: it sends no new call to the replica.
        await wait_for(lambda: _status_is(host.port, health_pb2.HealthCheckResponse.NOT_SERVING, LIVENESS),
                       what="liveness NOT_SERVING")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="x"))
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert probe.calls == 2
        answer = await in_flight
        assert answer.genuine
        await stopping




async def test_oversized_request_is_invalid_argument(sqlite_url):
    probe = Probe("a")
    settings = ServiceSettings(grpc_port=0, metrics_port=-1, database_url=sqlite_url, max_request_bytes=1024)
    parts = HostParts(name="probe", engine=db.create_engine(sqlite_url), service_names=[SERVICE],
                      register=[lambda s: documents_pb2_grpc.add_DocumentsServiceServicer_to_server(probe, s)])
    host = ServiceHost(settings, parts)
    await host.start()
    try:
        async with open_channel(f"127.0.0.1:{host.port}", SERVICE) as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            assert (await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="x" * 900))).genuine
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="x" * 2000))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert probe.calls == 1  # the oversized one never reached the servicer
    finally:
        await host.stop()


def test_a_dns_name_passes_through_also_with_a_dns_server_of_its_own():
    assert target_for("dns:///identity-headless:50051") == "dns:///identity-headless:50051"
    assert target_for("dns://10.0.0.10:53/identity-headless:50051") == "dns://10.0.0.10:53/identity-headless:50051"
    assert target_for("identity-headless:50051") == "dns:///identity-headless:50051"


def test_service_config_lists_methods_of_several_services():
    import json

    from servicekit.rpc.client import service_config

    config = json.loads(service_config("a.v1.One", ["Get", "b.v1.Two/List"]))
    names = config["methodConfig"][0]["name"]
    assert {"service": "a.v1.One", "method": "Get"} in names
    assert {"service": "b.v1.Two", "method": "List"} in names
    assert config["loadBalancingConfig"] == [{"round_robin": {}}]


async def test_a_lost_database_or_redis_connection_is_unavailable_not_internal(sqlite_url):
    host = await start_host(sqlite_url, Probe("a"))
    try:
        async with open_channel(f"127.0.0.1:{host.port}", SERVICE) as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            for code in ("redis-down", "redis-loading", "timed-out", "database-down", "name-unresolved",
                         "host-unreachable", "sqlstate-08P01", "sqlstate-57P03", "sqlstate-53300"):
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code=code))
                assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, code
    finally:
        await host.stop()
