"""The gateway's channels to every service, opened once at start-up and closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from servicekit.rpc.client import open_channel

from tqr_gateway.config import GatewaySettings

# Methods that change nothing (or change it idempotently) may be retried on UNAVAILABLE.
IDEMPOTENT = {
    "tqr.identity.v1.IdentityService": ["IssueHumanCheck"],
    "tqr.application.v1.ReferenceDataService": ["ListRegions", "ListAuthorities"],
    "tqr.notification.v1.InboxService": ["ListInboxMessages", "CountUnreadMessages"],
    "tqr.documents.v1.DocumentsService": ["VerifyFormCode"],
}


@dataclass
class Channels:
    identity: grpc.aio.Channel
    application: grpc.aio.Channel
    notification: grpc.aio.Channel
    documents: grpc.aio.Channel

    @classmethod
    def open(cls, settings: GatewaySettings) -> Channels:
        timeout = settings.rpc_timeout_seconds

        def channel(addresses: str, services: list[str]) -> grpc.aio.Channel:
            methods = [m for s in services for m in IDEMPOTENT.get(s, [])]
            # One channel serves every service of a process; retries are keyed by service name.
            return open_channel(addresses, services[0], idempotent_methods=methods, timeout_seconds=timeout)

        return cls(
            identity=channel(settings.identity_addresses, ["tqr.identity.v1.IdentityService"]),
            application=channel(settings.application_addresses, ["tqr.application.v1.ReferenceDataService"]),
            notification=channel(settings.notification_addresses, ["tqr.notification.v1.InboxService"]),
            documents=channel(settings.documents_addresses, ["tqr.documents.v1.DocumentsService"]),
        )

    def all(self) -> dict[str, grpc.aio.Channel]:
        return {
            "identity": self.identity,
            "application": self.application,
            "notification": self.notification,
            "documents": self.documents,
        }

    async def readiness(self) -> dict[str, bool]:
        """SERVING or not, per service, from the standard health service."""
        answers: dict[str, bool] = {}
        for name, channel in self.all().items():
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=2
                )
                answers[name] = reply.status == health_pb2.HealthCheckResponse.SERVING
            except grpc.aio.AioRpcError:
                answers[name] = False
        return answers

    async def close(self) -> None:
        for channel in self.all().values():
            await channel.close(grace=None)
