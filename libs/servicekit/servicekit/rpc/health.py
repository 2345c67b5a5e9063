"""The standard gRPC health service, whose statuses the callers' channels also watch.

``""`` and each service name are readiness (the database and the broker are reachable): probes and
the gateway's /readyz ask them. ``LIVENESS`` is SERVING from the moment the server listens and
NOT_SERVING from the moment the process begins to stop, whatever its dependencies do. Channels
opened by ``servicekit.rpc.client.open_channel`` watch ``LIVENESS`` (client-side health checking):
they send no new call to a replica that has begun to stop, while its calls in flight finish. That
is what makes a stop lose nothing: a call that reaches a gRPC server at the instant it shuts down is
cancelled by grpc itself (CANCELLED, neither refused nor retried), so callers must be gone before.
Readiness is not watched: a replica that lost the broker still answers what it can, and when every
replica lost it the callers must still reach one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

# The health name a liveness probe asks for (Kubernetes: ``grpc: {port: …, service: liveness}``) and
# the channels watch. Not a gRPC service: reflection does not list it.
LIVENESS = "liveness"

Status = Any  # health_pb2.HealthCheckResponse.ServingStatus (an int enum the stubs type loosely)


class HealthService(health_pb2_grpc.HealthServicer):
    """Check and Watch over statuses set with ``set``; ``end_watches`` ends every Watch stream.

    The stock servicer's Watch streams never end, and a server being stopped waits for every call in
    flight, so each watching caller would hold the stop for the whole grace period."""

    def __init__(self) -> None:
        # A server takes calls from the moment it listens (a test's server too, without a host to
        # say so); readiness is unknown until set.
        self._statuses: dict[str, Status] = {LIVENESS: health_pb2.HealthCheckResponse.SERVING}
        self._changed = asyncio.Condition()
        self._ending = False

    async def set(self, service: str, status: Status) -> None:
        async with self._changed:
            self._statuses[service] = status
            self._changed.notify_all()

    async def end_watches(self) -> None:
        """Every Watch stream ends after telling the last status; new ones end at once."""
        async with self._changed:
            self._ending = True
            self._changed.notify_all()

    async def Check(self, request: health_pb2.HealthCheckRequest,
                    context: grpc.aio.ServicerContext) -> health_pb2.HealthCheckResponse:
        status = self._statuses.get(request.service)
        if status is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health_pb2.HealthCheckResponse(status=status)

    async def Watch(self, request: health_pb2.HealthCheckRequest,
                    context: grpc.aio.ServicerContext) -> AsyncIterator[health_pb2.HealthCheckResponse]:
        told = None
        while True:
            async with self._changed:
                status = self._statuses.get(request.service, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
                if status == told and not self._ending:
                    await self._changed.wait()
                    continue
                ending = self._ending
            if status != told:
                told = status
                yield health_pb2.HealthCheckResponse(status=status)
            if ending:
                return
