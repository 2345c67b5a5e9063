"""Route dependencies: the signed-in person, their role, the clients of the services.

Pages and the API share these, so a rule such as "staff of a point only" is written once, and
tests replace a service with a plain fake through ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from tqr_gateway.clients import Clients
from tqr_gateway.clients.application import ApplicationClient
from tqr_gateway.clients.audit import AuditClient
from tqr_gateway.clients.documents import DocumentsClient
from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.clients.notification import DevOutboxClient, InboxClient
from tqr_gateway.clients.slots import SlotClient
from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.staff_broadcast import StaffBroadcastClient
from tqr_gateway.clients.staff_dashboard import StaffDashboardClient
from tqr_gateway.clients.staff_documents import StaffDocumentsClient
from tqr_gateway.clients.staff_identity import StaffIdentityClient
from tqr_gateway.clients.workflow_rules import WorkflowRules
from tqr_gateway.config import GatewaySettings
from tqr_gateway.flows.staff_rules import APPLICATION_STAFF, AUTHORITY_ADMIN, IDENTITY_REVIEWER, SYSTEM_ADMIN, may
from tqr_gateway.security.refusals import Refusal, refuses_with
from tqr_gateway.session import SessionInfo, cookie_name
from tqr_gateway.vocabulary import Role


class SignInRequired(Exception):
    """Raised by the dependencies; pages answer with a redirect to the sign-in page, the API with 401,
    or 403 when someone is signed in but as the other kind of account (``signed_in``): signing in
    again would not help a program, the route is simply not theirs."""

    def __init__(self, staff: bool = False, signed_in: bool = False) -> None:
        self.staff = staff
        self.signed_in = signed_in


class Refused(Exception):
    """Raised by a dependency that refuses the request; the app answers with the refusal (a page for
    people, a problem document for programs)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


OTHER_KIND_REFUSAL = Refusal(403, "ACCOUNT_KIND", "这项功能不对您的账号类型开放：申请人和工作人员各用各的功能。",
                             "This is not open to your kind of account: applicants and staff each have their own.")
ROLE_REFUSAL = Refusal(403, "STAFF_ROLE", "这项操作不在您的权限范围内。如需办理，请联系有权限的工作人员。",
                       "This is not part of your role. Please ask a colleague who has it.")


# Dependencies are ``async def`` although they do no I/O: FastAPI runs a plain ``def`` dependency in
# a worker thread, which cost a thread hand-off on every request (≈ 5 % of the gateway's CPU).


async def settings_of(request: Request) -> GatewaySettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def optional_session(request: Request) -> SessionInfo | None:
    return getattr(request.state, "session", None)


def _raise_if_identity_was_down(request: Request) -> None:
    """Requiring a session while the identity service could not answer is a 503, not a sign-out."""
    outage = getattr(request.state, "session_outage", None)
    if outage is not None:
        raise outage


# not signed in; signed in as staff (403 on the API); the identity service could not say who is asking
@refuses_with(401, 403, 503, 504)
async def require_applicant(request: Request) -> SessionInfo:
    session = optional_session(request)
    if session is None:
        _raise_if_identity_was_down(request)
    if session is None or session.kind != "applicant":
        raise SignInRequired(staff=False, signed_in=session is not None)
    return session


# not signed in; signed in as an applicant (403 on the API); identity could not say who is asking
@refuses_with(401, 403, 503, 504)
async def signed_in_staff(request: Request) -> SessionInfo:
    """Any signed-in staff member; the one place tests override to sign someone in."""
    session = optional_session(request)
    if session is None:
        _raise_if_identity_was_down(request)
    if session is None or not session.is_staff:
        raise SignInRequired(staff=True, signed_in=session is not None)
    return session


def require_staff(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that admits staff with one of ``roles`` (any staff role when none is given); a
    wrong role gets a 403 page (pages) or problem document (API), not a bare error."""

    @refuses_with(403)
    async def dependency(session: Annotated[SessionInfo, Depends(signed_in_staff)]) -> SessionInfo:
        if roles and not may(session.roles, *roles):
            raise Refused(ROLE_REFUSAL)
        return session

    return dependency


def actor_metadata(session: SessionInfo, role: str | None = None) -> tuple[tuple[str, bytes], ...]:
    """gRPC metadata that tells the service who is calling: the actor, signed by the gateway for a
    minute and bound to this session (servicekit.rpc.actor)."""
    return session.signed_actor(role)


def set_session_cookie(response: Response, token: str, settings: GatewaySettings) -> None:
    response.set_cookie(
        cookie_name(settings.secure_cookies), token, httponly=True, secure=settings.secure_cookies,
        samesite="lax", path="/",
    )


def clear_session_cookie(response: Response, settings: GatewaySettings) -> None:
    response.delete_cookie(cookie_name(settings.secure_cookies), path="/", secure=settings.secure_cookies,
                           httponly=True, samesite="lax")


Applicant = Annotated[SessionInfo, Depends(require_applicant)]
Settings = Annotated[GatewaySettings, Depends(settings_of)]


StaffSession = Annotated[SessionInfo, Depends(require_staff())]
ApplicationStaff = Annotated[SessionInfo, Depends(require_staff(*APPLICATION_STAFF))]
AuthorityAdmin = Annotated[SessionInfo, Depends(require_staff(AUTHORITY_ADMIN))]
IdentityReviewer = Annotated[SessionInfo, Depends(require_staff(IDENTITY_REVIEWER))]
SystemAdmin = Annotated[SessionInfo, Depends(require_staff(SYSTEM_ADMIN))]


# --- the services' clients, built once at start-up (tqr_gateway.clients.Clients) ----------------


def clients_of(request: Request) -> Clients:
    """For helpers that are not routes; a route takes the client it needs as a dependency."""
    return request.app.state.clients  # type: ignore[no-any-return]


async def identity_client(request: Request) -> IdentityClient:
    """The identity service's client; a sign-out through it also drops the token from the session cache."""
    return clients_of(request).identity


async def application_client(request: Request) -> ApplicationClient:
    return clients_of(request).application


async def inbox_client(request: Request) -> InboxClient:
    return clients_of(request).inbox


async def dev_outbox_client(request: Request) -> DevOutboxClient:
    return clients_of(request).dev_outbox


async def documents_client(request: Request) -> DocumentsClient:
    return clients_of(request).documents


async def staff_application_client(request: Request) -> StaffApplicationClient:
    return clients_of(request).staff_application


async def staff_broadcast_client(request: Request) -> StaffBroadcastClient:
    return clients_of(request).staff_broadcast


async def staff_identity_client(request: Request) -> StaffIdentityClient:
    return clients_of(request).staff_identity


async def staff_documents_client(request: Request) -> StaffDocumentsClient:
    return clients_of(request).staff_documents


async def staff_dashboard_client(request: Request) -> StaffDashboardClient:
    return clients_of(request).staff_dashboard
async def slot_client(request: Request) -> SlotClient:
    return clients_of(request).slots


async def workflow_rules(request: Request) -> WorkflowRules:
    """The application service's workflow rules (cached per process: tqr_gateway.clients.workflow_rules)."""
    return await clients_of(request).workflow.get()


Identity = Annotated[IdentityClient, Depends(identity_client)]
Applications = Annotated[ApplicationClient, Depends(application_client)]
Inbox = Annotated[InboxClient, Depends(inbox_client)]
DevOutbox = Annotated[DevOutboxClient, Depends(dev_outbox_client)]
Documents = Annotated[DocumentsClient, Depends(documents_client)]
StaffApplications = Annotated[StaffApplicationClient, Depends(staff_application_client)]
StaffIdentity = Annotated[StaffIdentityClient, Depends(staff_identity_client)]
StaffBroadcasts = Annotated[StaffBroadcastClient, Depends(staff_broadcast_client)]
StaffDocuments = Annotated[StaffDocumentsClient, Depends(staff_documents_client)]
Workflow = Annotated[WorkflowRules, Depends(workflow_rules)]



async def audit_client(request: Request) -> AuditClient:
    return clients_of(request).audit


Audit = Annotated[AuditClient, Depends(audit_client)]
StaffDashboard = Annotated[StaffDashboardClient, Depends(staff_dashboard_client)]
Slots = Annotated[SlotClient, Depends(slot_client)]
