"""The gateway's channels to every service, opened once at start-up and closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from servicekit.rpc.client import open_channel

from tqr_gateway.config import GatewaySettings

# Methods that change nothing (or change it idempotently) may be retried on UNAVAILABLE.
IDEMPOTENT = {
    "tqr.identity.v1.IdentityService": ["IssueHumanCheck", "GetRegistrationOptions", "GetAccount", "ResolveSession"],
    "tqr.application.v1.ReferenceDataService": ["ListRegions", "ListAuthorities", "GetWorkflowRules"],
    "tqr.notification.v1.InboxService": ["ListInboxMessages", "CountUnreadMessages"],
    "tqr.notification.v1.DevOutboxService": ["ListOutboxMessages"],
    "tqr.documents.v1.DocumentsService": ["VerifyFormCode"],
    "tqr.application.v1.WizardService": ["GetDraft", "CheckEligibility"],
    "tqr.application.v1.ApplicantService": ["ListMyApplications", "GetMyApplication", "ListMessages"],
    "tqr.application.v1.StaffService": ["FindApplication", "SearchApplications", "GetApplicationForStaff",
                                        "CheckEligibilityForStaff", "ResolveBulkSelection", "ListWorkClaims"],
    "tqr.application.v1.PlanService": ["ListPlans", "GetAuthorityPlan", "ListCurrentPlans"],
    "tqr.application.v1.PublicResultService": ["CheckRegistrationResult"],
    "tqr.application.v1.StaffDashboardService": ["GetStaffDashboard"],
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

        def channel(addresses: str, package: str) -> grpc.aio.Channel:
            # One channel serves every gRPC service of a process, so it lists each one's methods.
            methods = [f"{service}/{method}" for service, names in IDEMPOTENT.items()
                       if service.startswith(package) for method in names]
            return open_channel(addresses, package, idempotent_methods=methods, timeout_seconds=timeout,
                                tls=settings.tls)

        return cls(
            identity=channel(settings.identity_addresses, "tqr.identity.v1."),
            application=channel(settings.application_addresses, "tqr.application.v1."),
            notification=channel(settings.notification_addresses, "tqr.notification.v1."),
            documents=channel(settings.documents_addresses, "tqr.documents.v1."),
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
