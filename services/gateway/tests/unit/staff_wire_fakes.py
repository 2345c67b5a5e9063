"""Fake identity and application services on a real grpc.aio server (with servicekit's interceptor,
so calls and refusals travel exactly as in production), in a thread of its own, with a record of
every call and its Actor: for the tests about the wire itself — what reaches a service
(test_trust_boundaries) and the stubs the gateway builds (test_clients_built_once). The console's
page tests use in-process fakes of the clients instead (``staff_fakes``), whose canned data these
servicers share.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from servicekit import errors
from servicekit.rpc.actor import actor_of
from servicekit.rpc.server import create_server
from tqr.application.v1 import application_pb2 as ref_pb
from tqr.application.v1 import application_pb2_grpc as ref_rpc
from tqr.application.v1 import staff_pb2 as staff_pb
from tqr.application.v1 import staff_pb2_grpc as staff_rpc
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wizard
from tqr.identity.v1 import identity_pb2 as id_pb
from tqr.identity.v1 import identity_pb2_grpc as id_rpc
from tqr_gateway import vocabulary
from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings

from services.gateway.tests.unit.staff_fakes import (
    APP_ID,
    APP_NUMBER,
    DOCUMENT,
    NOT_YOURS,
    STAFF,
    Console,
    in_scope,
    staff_view,
    summaries,
)
from services.gateway.tests.unit.workflow_fakes import served_rules


@dataclass
class Calls:
    items: list[tuple[str, Any, Any]] = field(default_factory=list)

    def add(self, method: str, request: Any, context: Any) -> None:
        self.items.append((method, request, actor_of(context)))

    def of(self, method: str) -> list[tuple[Any, Any]]:
        return [(r, a) for m, r, a in self.items if m == method]

    def clear(self) -> None:
        self.items.clear()


class FakeStaff(staff_rpc.StaffServiceServicer):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def _check(self, context: Any) -> Any:
        actor = actor_of(context)
        if not in_scope(actor):
            raise NOT_YOURS
        return actor

    async def FindApplication(self, request: Any, context: Any) -> Any:
        self.calls.add("FindApplication", request, context)
        hit = request.query in (APP_NUMBER, DOCUMENT) and in_scope(actor_of(context))
        summary = views.ApplicationSummary(application_id=APP_ID, application_number=APP_NUMBER,
                                           applicant_name="王小明", status="SUBMITTED")
        return staff_pb.FindApplicationResponse(applications=[summary] if hit else [])

    async def SearchApplications(self, request: Any, context: Any) -> Any:
        self.calls.add("SearchApplications", request, context)
        found = summaries(request.certificate_conflicts_only, request.other_plan_only)
        return staff_pb.SearchApplicationsResponse(applications=found,
                                                   next_page_token="" if request.page_token else "tok-2")

    async def GetApplicationForStaff(self, request: Any, context: Any) -> Any:
        self.calls.add("GetApplicationForStaff", request, context)
        actor = self._check(context)
        return staff_pb.GetApplicationForStaffResponse(application=staff_view(request.application_id, actor))

    async def CheckEligibilityForStaff(self, request: Any, context: Any) -> Any:
        self.calls.add("CheckEligibilityForStaff", request, context)
        self._check(context)
        return staff_pb.CheckEligibilityForStaffResponse(report=wizard.EligibilityReport(eligible=True))


class FakeReference(ref_rpc.ReferenceDataServiceServicer):
    async def GetWorkflowRules(self, request: Any, context: Any) -> Any:
        return served_rules()  # asked without an actor: the same answer for everyone

    async def ListAuthorities(self, request: Any, context: Any) -> Any:
        return ref_pb.ListAuthoritiesResponse(authorities=[ref_pb.Authority(code="110108", name="海淀区教委")])


class FakeIdentity(id_rpc.IdentityServiceServicer):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def ResolveSession(self, request: Any, context: Any) -> Any:
        if request.session_token not in STAFF:
            raise errors.Unauthenticated("UNAUTHENTICATED", "请先登录", "Please sign in first")
        role, org = STAFF[request.session_token]
        return id_pb.ResolveSessionResponse(subject_id=f"s-{request.session_token}", kind="staff",
                                            roles=[vocabulary.role(role)], organisation_code=org, name=f"{role} 测试")

    async def ListManualReviews(self, request: Any, context: Any) -> Any:
        self.calls.add("ListManualReviews", request, context)
        return id_pb.ListManualReviewsResponse(cases=[id_pb.ManualReviewCase(case_id="case-1", name="张三")], total=1)


@contextmanager
def fake_services() -> Iterator[tuple[int, Calls]]:
    """Every fake on one port, served from a thread with its own event loop."""
    calls = Calls()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        server, _ = create_server("fakes", [
            lambda s: staff_rpc.add_StaffServiceServicer_to_server(FakeStaff(calls), s),
            lambda s: ref_rpc.add_ReferenceDataServiceServicer_to_server(FakeReference(), s),
            lambda s: id_rpc.add_IdentityServiceServicer_to_server(FakeIdentity(calls), s),
        ], [])
        holder["port"] = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        holder["server"] = server
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield holder["port"], calls
    finally:
        asyncio.run_coroutine_threadsafe(holder["server"].stop(None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@contextmanager
def console() -> Iterator[Console]:
    """A TestClient of the real gateway app whose every channel leads to the fakes above."""
    with fake_services() as (port, calls):
        address = f"127.0.0.1:{port}"
        settings = GatewaySettings(identity_addresses=address, application_addresses=address,
                                   notification_addresses=address, documents_addresses=address,
                                   redis_url="redis://127.0.0.1:6379/15")
        with TestClient(create_app(settings), base_url="https://testserver") as client:
            yield Console(client, calls)
