"""One replica of a small gRPC service built on the real servicekit host, in a process of its own.

``python -m tests.foundation.replica ADDRESS PORT WORK_LOG`` serves ``tqr.test.v1.Replica`` on
ADDRESS:PORT (each replica its own loopback address, all on one port, as pods behind one DNS name)
until SIGTERM, then stops the way every service does (servicekit ``ServiceHost.stop``). Two methods:

- ``Read`` (the caller lists it idempotent) answers with the replica's address, so a client can
  count which replica served each call;
- ``Write`` (not idempotent) takes ``<id>:<seconds>``, works that long, appends the id to WORK_LOG
  and answers with the replica's address: a test can check that every write it was told succeeded
  was done, and done once.

It also answers the application service's ``ReferenceDataService.ListAuthorities`` (one authority
named after the replica), so a gateway can be pointed at it; asked for the region ``hold``, it
writes ``hold`` to WORK_LOG and answers only once the file WORK_LOG + ``.release`` exists (a request
a test keeps in flight for as long as it needs).

Settings (drain, grace, connection age) come from the environment with the prefix ``REPLICA_``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import grpc
from pydantic_settings import SettingsConfigDict
from servicekit import db, logs
from servicekit.host import HostParts, ServiceHost, run_until_signalled
from servicekit.service_settings import ServiceSettings
from tqr.application.v1 import application_pb2, application_pb2_grpc

SERVICE = "tqr.test.v1.Replica"
REFERENCE_SERVICE = "tqr.application.v1.ReferenceDataService"


class ReplicaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPLICA_", extra="ignore", populate_by_name=True)


def register(address: str, work_log: Path):  # type: ignore[no-untyped-def]
    name = address.encode()

    async def read(request: bytes, context: Any) -> bytes:
        return name

    async def write(request: bytes, context: Any) -> bytes:
        write_id, _, seconds = request.decode().partition(":")
        await context.send_initial_metadata(())  # tells the caller the work has begun
        await asyncio.sleep(float(seconds or 0))
        with work_log.open("a", encoding="utf-8") as log:
            log.write(f"{write_id}\n")
        return name

    handlers = grpc.method_handlers_generic_handler(SERVICE, {
        "Read": grpc.unary_unary_rpc_method_handler(read),
        "Write": grpc.unary_unary_rpc_method_handler(write),
    })
    return lambda server: server.add_generic_rpc_handlers((handlers,))


class HeldReferenceData(application_pb2_grpc.ReferenceDataServiceServicer):
    def __init__(self, address: str, work_log: Path) -> None:
        self.address = address
        self.work_log = work_log

    async def ListAuthorities(self, request: Any, context: Any) -> Any:
        if request.region_code == "hold":
            with self.work_log.open("a", encoding="utf-8") as log:
                log.write("hold\n")
            release = self.work_log.with_name(self.work_log.name + ".release")
            while not release.exists():
                await asyncio.sleep(0.05)
        authority = application_pb2.Authority(code="A1", name=self.address, region_code=request.region_code)
        return application_pb2.ListAuthoritiesResponse(authorities=[authority])


async def serve(address: str, port: int, work_log: Path) -> None:
    database = work_log.with_suffix(".sqlite3")
    settings = ReplicaSettings(grpc_host=address, grpc_port=port, metrics_port=-1,
                               database_url=f"sqlite:///{database}")
    logs.configure(f"replica-{address}", "INFO", "")
    reference = HeldReferenceData(address, work_log)
    parts = HostParts(
        name="replica", engine=db.create_engine(settings.database_url),
        register=[register(address, work_log),
                  lambda server: application_pb2_grpc.add_ReferenceDataServiceServicer_to_server(reference, server)],
        service_names=[SERVICE, REFERENCE_SERVICE],
    )
    await run_until_signalled(ServiceHost(settings, parts))


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])))
