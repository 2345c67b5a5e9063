"""One typed async wrapper per service; each call has a deadline and never swallows an error.

``Clients`` holds one of each, built once per process over the channels the app opens at start-up
(a gRPC stub is cheap to call but not to build: building three on every request cost ≈ 6 % of the
gateway's CPU under load). Routes receive them as dependencies (``tqr_gateway.deps``), which tests
can override with plain fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tqr_gateway.clients.application import ApplicationClient
from tqr_gateway.clients.audit import AuditClient
from tqr_gateway.clients.channels import Channels
from tqr_gateway.clients.documents import DocumentsClient
from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.clients.notification import DevOutboxClient, InboxClient
from tqr_gateway.clients.slots import SlotClient
from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.staff_broadcast import StaffBroadcastClient
from tqr_gateway.clients.staff_dashboard import StaffDashboardClient
from tqr_gateway.clients.staff_documents import StaffDocumentsClient
from tqr_gateway.clients.staff_identity import StaffIdentityClient
from tqr_gateway.clients.workflow_rules import WorkflowRulesSource


@dataclass(frozen=True)
class Clients:
    identity: IdentityClient
    application: ApplicationClient
    inbox: InboxClient
    dev_outbox: DevOutboxClient
    documents: DocumentsClient
    staff_application: StaffApplicationClient
    staff_identity: StaffIdentityClient
    staff_documents: StaffDocumentsClient
    workflow: WorkflowRulesSource
    slots: SlotClient
    audit: AuditClient
    staff_broadcast: StaffBroadcastClient
    staff_dashboard: StaffDashboardClient

    @classmethod
    def over(cls, channels: Channels, forget_session: Callable[[str], None]) -> Clients:
        """``forget_session``: a sign-out through the identity client also drops the token from the
        gateway's session cache."""
        return cls(
            identity=IdentityClient(channels.identity, forget_session),
            application=ApplicationClient(channels.application),
            inbox=InboxClient(channels.notification),
            dev_outbox=DevOutboxClient(channels.notification),
            documents=DocumentsClient(channels.documents),
            staff_application=StaffApplicationClient(channels.application),
            staff_identity=StaffIdentityClient(channels.identity),
            staff_documents=StaffDocumentsClient(channels.documents),
            workflow=WorkflowRulesSource(channels.application),
            slots=SlotClient(channels.application),
            audit=AuditClient(channels.application, channels.identity),
            staff_broadcast=StaffBroadcastClient(channels.application),
            staff_dashboard=StaffDashboardClient(channels.application),
        )
