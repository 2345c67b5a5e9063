"""gRPC server reflection hands whoever reaches the port every service and message: on in
development and test (grpcurl), off in production unless ``<S>_GRPC_REFLECTION`` turns it on.
A host started in this process, asked over a real channel."""

from __future__ import annotations

import grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from servicekit import db
from servicekit.host import HostParts, ServiceHost
from servicekit.rpc.actor import new_key_pair
from servicekit.rpc.tls import TlsFiles
from servicekit.service_settings import ServiceSettings

SERVICE = "tqr.documents.v1.DocumentsService"
# What production requires to be set (servicekit.service_settings.ServiceSettings.required_in_production).
PRODUCTION = {"environment": "production", "amqp_url": "amqp://svc:secret@mq/", "redis_url": "redis://cache/0"}


def _answered_before_sent(error: grpc.aio.AioRpcError) -> bool:
    """Where reflection is off the server answers UNIMPLEMENTED at once; when that answer comes
    before the client has sent the request, gRPC's client reports its failed send (INTERNAL,
    "execute_batch") instead of the server's answer. Asked again, the send usually comes first."""
    return error.code() == grpc.StatusCode.INTERNAL and "execute_batch" in (error.debug_error_string() or "")


async def listed_services(url: str, tls: dict[str, TlsFiles] | None = None, **settings: object) -> list[str] | None:
    """The services reflection lists, or None when the server has no reflection. With ``tls`` (which
    production requires) the server is ``documents`` and the gateway asks."""
    if tls is not None:
        mine = tls["documents"]
        settings = {**settings, "tls_cert": mine.cert, "tls_key": mine.key, "tls_ca": mine.ca,
                    "actor_verify_keys": new_key_pair("gateway.k1")[1]}
    host = ServiceHost(ServiceSettings(grpc_port=0, metrics_port=-1, database_url=url, drain_seconds=0,
                                       shutdown_grace_seconds=1, **settings),
                       HostParts(name="probe", engine=db.create_engine(url), service_names=[SERVICE]))
    await host.start()
    address = f"127.0.0.1:{host.port}"
    try:
        async with (grpc.aio.insecure_channel(address) if tls is None else grpc.aio.secure_channel(
                address, tls["gateway"].channel_credentials(),
                options=[("grpc.ssl_target_name_override", "documents")])) as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            request = reflection_pb2.ServerReflectionRequest(list_services="")
            for _ in range(3):
                try:
                    async for answer in stub.ServerReflectionInfo(iter([request]), timeout=5):
                        return [service.name for service in answer.list_services_response.service]
                except grpc.aio.AioRpcError as error:
                    if _answered_before_sent(error):
                        continue
                    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
                    return None
            raise AssertionError("the request was never sent before the server answered")
        return None
    finally:
        await host.stop()


async def test_reflection_is_served_outside_production_and_in_production_only_when_turned_on(sqlite_url, service_tls):
    for environment in ("development", "test"):
        assert SERVICE in (await listed_services(sqlite_url, environment=environment) or []), environment
    assert await listed_services(sqlite_url, service_tls, **PRODUCTION) is None
    assert SERVICE in (await listed_services(sqlite_url, service_tls, grpc_reflection=True, **PRODUCTION) or [])
