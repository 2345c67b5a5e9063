"""Fake identity, application and documents services for the staff console's tests: real grpc.aio
servers (with servicekit's interceptor, so refusals travel exactly as in production) in a thread of
their own, with canned data and a record of every call and its Actor.

Imported by the test_staff_*.py modules as ``services.gateway.tests.unit.staff_fakes``.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import errors
from servicekit.rpc.actor import actor_of
from servicekit.rpc.server import create_server
from tqr.application.v1 import application_pb2 as ref_pb
from tqr.application.v1 import application_pb2_grpc as ref_rpc
from tqr.application.v1 import plans_pb2 as plans_pb
from tqr.application.v1 import plans_pb2_grpc as plans_rpc
from tqr.application.v1 import staff_pb2 as staff_pb
from tqr.application.v1 import staff_pb2_grpc as staff_rpc
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wizard
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_HKMO_PERMIT
from tqr.documents.v1 import documents_pb2 as doc_pb
from tqr.documents.v1 import documents_pb2_grpc as doc_rpc
from tqr.identity.v1 import identity_pb2 as id_pb
from tqr.identity.v1 import identity_pb2_grpc as id_rpc
from tqr.identity.v1.identity_pb2 import REVIEW_STATUS_PENDING
from tqr_gateway import vocabulary
from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings

from services.gateway.tests.unit.workflow_fakes import served_rules

APP_ID = "app-1"
APP_NUMBER = "2026110108000123"
CONFLICT_APP_ID = "app-conflict"  # its certificate number is claimed by another applicant (R-WIZ-10)
DOCUMENT = "11010519491231002X"
GOOD_CODE = f"TQR1.{APP_NUMBER}.1a2b3c4d.GOODMAC"
PNG = b"\x89PNG\r\n\x1a\nfake"


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


# (token) -> (role, organisation)
STAFF = {
    "tok-admin": ("AUTHORITY_ADMIN", "110108"),
    "tok-point": ("POINT_STAFF", "11010801"),
    "tok-reviewer": ("IDENTITY_REVIEWER", ""),
    "tok-sysadmin": ("SYSTEM_ADMIN", ""),
    "tok-other-admin": ("AUTHORITY_ADMIN", "110105"),
}


@dataclass
class Calls:
    items: list[tuple[str, Any, Any]] = field(default_factory=list)
    # What FakeReference.GetWorkflowRules answers: the application service's real rules unless a test
    # changes them (before the gateway's first request: it caches the answer).
    rules: ref_pb.GetWorkflowRulesResponse = field(default_factory=served_rules)

    def add(self, method: str, request: Any, context: Any) -> None:
        self.items.append((method, request, actor_of(context)))

    def of(self, method: str) -> list[tuple[Any, Any]]:
        return [(r, a) for m, r, a in self.items if m == method]


def _in_scope(actor: Any) -> bool:
    return (actor.role == vocabulary.AUTHORITY_ADMIN and actor.organisation_code == "110108") or (
        actor.role == vocabulary.POINT_STAFF and actor.organisation_code == "11010801")


def application_view(status: str = "SUBMITTED", allowed: tuple[str, ...] = ()) -> views.ApplicationView:
    at = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    return views.ApplicationView(
        application_id=APP_ID, application_number=APP_NUMBER, applicant_name="王小明",
        document_number_masked="1101**********002X", version=3,
        status=views.StatusView(status=status, label_zh="信息提交成功，等待现场确认", label_en="Submitted",
                                meaning_zh="已提交", meaning_en="Submitted"),
        certificate=views.CertificateData(certificate_number="20101100122000017", holder_name="王小明"),
        authority_code="110108", authority_name="北京市海淀区教育委员会",
        point=views.PointWindow(point_code="11010801", point_name="海淀一号确认点"),
        materials=views.Materials(email="teacher@example.cn"), allowed_actions=list(allowed), submitted_at=ts(at),
        history=[views.StatusHistoryEntry(to_status="SUBMITTED", action="SUBMIT",
                                          actor_role="APPLICANT", at=ts(at))])


class FakeStaff(staff_rpc.StaffServiceServicer):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def _check(self, context: Any) -> None:
        if not _in_scope(actor_of(context)):
            raise errors.PermissionDenied("R-STAFF-4", "这份申请不属于您的单位，不能办理",
                                          "This application is not in your organisation")

    async def FindApplication(self, request: Any, context: Any) -> Any:
        self.calls.add("FindApplication", request, context)
        hit = request.query in (APP_NUMBER, DOCUMENT) and _in_scope(actor_of(context))
        summary = views.ApplicationSummary(application_id=APP_ID, application_number=APP_NUMBER,
                                           applicant_name="王小明", status="SUBMITTED")
        return staff_pb.FindApplicationResponse(applications=[summary] if hit else [])

    async def SearchApplications(self, request: Any, context: Any) -> Any:
        self.calls.add("SearchApplications", request, context)
        rows = [views.ApplicationSummary(application_id=f"app-{i}", application_number=f"20261101080{i:05d}",
                                         applicant_name=f"申请人{i}", status="SUBMITTED",
                                         status_label="信息提交成功，等待现场确认",
                                         certificate_claimed_by_another=i == 0) for i in range(2)]
        if request.certificate_conflicts_only:
            rows = [r for r in rows if r.certificate_claimed_by_another]
        return staff_pb.SearchApplicationsResponse(applications=rows,
                                                   next_page_token="" if request.page_token else "tok-2")

    async def GetApplicationForStaff(self, request: Any, context: Any) -> Any:
        self.calls.add("GetApplicationForStaff", request, context)
        self._check(context)
        role = actor_of(context).role
        allowed = (("CONFIRM_ON_SITE", "MARK_MATERIALS_INCOMPLETE", "MARK_WRONG_AUTHORITY", "MARK_NOT_ELIGIBLE")
                   if role == vocabulary.POINT_STAFF else ("MARK_WRONG_AUTHORITY", "MARK_NOT_ELIGIBLE"))
        view = application_view(allowed=allowed)
        view.certificate_claimed_by_another = request.application_id == CONFLICT_APP_ID
        return staff_pb.GetApplicationForStaffResponse(application=view)

    async def CheckEligibilityForStaff(self, request: Any, context: Any) -> Any:
        self.calls.add("CheckEligibilityForStaff", request, context)
        self._check(context)
        return staff_pb.CheckEligibilityForStaffResponse(report=wizard.EligibilityReport(
            eligible=False, likely_outcome="DEFERRED", findings=[wizard.EligibilityFinding(
                code="ELIG-HOURS", message_zh="继续教育学时不足 360 学时", message_en="Too few hours",
                outcome="DEFERRED")]))

    async def RecordOnSiteResult(self, request: Any, context: Any) -> Any:
        self.calls.add("RecordOnSiteResult", request, context)
        self._check(context)
        return staff_pb.RecordOnSiteResultResponse(application=application_view("CONFIRMED"))

    async def DecideApplication(self, request: Any, context: Any) -> Any:
        self.calls.add("DecideApplication", request, context)
        self._check(context)
        return staff_pb.DecideApplicationResponse(application=application_view("REGISTERED"))

    async def PostMessage(self, request: Any, context: Any) -> Any:
        self.calls.add("PostMessage", request, context)
        self._check(context)
        return staff_pb.PostMessageResponse(message=views.Message(message_id="m-1", application_id=APP_ID,
                                                                  body=request.body))

    async def CorrectApplicantEmail(self, request: Any, context: Any) -> Any:
        self.calls.add("CorrectApplicantEmail", request, context)
        self._check(context)
        return staff_pb.CorrectApplicantEmailResponse(application=application_view())


class FakePlans(plans_rpc.PlanServiceServicer):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def ListPlans(self, request: Any, context: Any) -> Any:
        self.calls.add("ListPlans", request, context)
        start = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
        plan = views.Plan(plan_id="plan-1", authority_code="110108", name="2026年教师资格定期注册",
                          online_start=ts(start), online_end=ts(datetime(2026, 4, 1, 9, 30, tzinfo=UTC)),
                          points=[views.PointWindow(point_code="11010801", point_name="海淀一号确认点",
                                                    confirm_start=ts(start), confirm_end=ts(start))])
        return plans_pb.ListPlansResponse(plans=[plan])

    async def CreatePlan(self, request: Any, context: Any) -> Any:
        self.calls.add("CreatePlan", request, context)
        return plans_pb.CreatePlanResponse(plan=views.Plan(plan_id="plan-2", name=request.name))

    async def UpdatePlan(self, request: Any, context: Any) -> Any:
        self.calls.add("UpdatePlan", request, context)
        return plans_pb.UpdatePlanResponse(plan=views.Plan(plan_id=request.plan_id, name=request.name))

    async def SetPointNotes(self, request: Any, context: Any) -> Any:
        self.calls.add("SetPointNotes", request, context)
        return plans_pb.SetPointNotesResponse()


class FakeReference(ref_rpc.ReferenceDataServiceServicer):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def GetWorkflowRules(self, request: Any, context: Any) -> Any:
        return self.calls.rules  # asked without an actor: the same answer for everyone

    async def ListConfirmationPoints(self, request: Any, context: Any) -> Any:
        points = [ref_pb.ConfirmationPoint(code="11010801", authority_code="110108", name="海淀一号确认点",
                                           onsite_notes="请带身份证原件"),
                  ref_pb.ConfirmationPoint(code="11010802", authority_code="110108", name="海淀二号确认点")]
        return ref_pb.ListConfirmationPointsResponse(points=[p for p in points if p.authority_code ==
                                                             request.authority_code])

    async def ListAuthorities(self, request: Any, context: Any) -> Any:
        return ref_pb.ListAuthoritiesResponse(authorities=[ref_pb.Authority(code="110108", name="海淀区教委")])

    async def ListRegions(self, request: Any, context: Any) -> Any:
        return ref_pb.ListRegionsResponse(regions=[ref_pb.Region(code="110000", name="北京市")])

    async def ListCodeLists(self, request: Any, context: Any) -> Any:
        return ref_pb.ListCodeListsResponse(teaching_stages=[ref_pb.CodeName(code="PRIMARY", name="小学")])


SETUP_CODE = "ABCD-EFGH-JKLM-NPQR"
ENROL_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MEMBER = id_pb.StaffMember(staff_id="staff-9", username="point11010802", display_name="海淀二号确认点",
                           role=vocabulary.POINT_STAFF, organisation_code="11010802", active=True)


def _refuse_outside(actor: Any, role: Any, organisation: str) -> None:
    """The service's R-STAFF-5 scope, reduced to what these tests need."""
    if actor.role == vocabulary.AUTHORITY_ADMIN and not organisation.startswith(actor.organisation_code):
        raise errors.PermissionDenied("R-STAFF-5", "您不能管理此账号或此机构的人员",
                                      "You cannot manage this account or the staff of this organisation")


class FakeStaffAdministration(id_rpc.IdentityServiceServicer):
    """Identity's staff administration and enrolment RPCs (R-STAFF-5)."""

    calls: Calls

    async def ListStaff(self, request: Any, context: Any) -> Any:
        self.calls.add("ListStaff", request, context)
        return id_pb.ListStaffResponse(staff=[MEMBER])

    async def CreateStaff(self, request: Any, context: Any) -> Any:
        self.calls.add("CreateStaff", request, context)
        _refuse_outside(actor_of(context), request.role, request.organisation_code)
        member = id_pb.StaffMember(staff_id="staff-new", username=request.username,
                                   display_name=request.display_name, role=request.role,
                                   organisation_code=request.organisation_code, active=True, must_enrol=True)
        return id_pb.StaffSetupCodeResponse(staff=member, setup_code=SETUP_CODE,
                                            setup_code_expires_at="2026-03-04T02:00:00+00:00")

    async def UpdateStaff(self, request: Any, context: Any) -> Any:
        self.calls.add("UpdateStaff", request, context)
        _refuse_outside(actor_of(context), request.role, request.organisation_code)
        return MEMBER

    async def SetStaffActive(self, request: Any, context: Any) -> Any:
        self.calls.add("SetStaffActive", request, context)
        return MEMBER

    async def ResetStaffPassword(self, request: Any, context: Any) -> Any:
        self.calls.add("ResetStaffPassword", request, context)
        return id_pb.StaffSetupCodeResponse(staff=MEMBER, setup_code=SETUP_CODE,
                                            setup_code_expires_at="2026-03-04T02:00:00+00:00")

    async def ResetStaffTotp(self, request: Any, context: Any) -> Any:
        self.calls.add("ResetStaffTotp", request, context)
        return id_pb.StaffSetupCodeResponse(staff=MEMBER, setup_code=SETUP_CODE,
                                            setup_code_expires_at="2026-03-04T02:00:00+00:00")

    async def UnlockApplicantSignIn(self, request: Any, context: Any) -> Any:
        self.calls.add("UnlockApplicantSignIn", request, context)
        if request.document_number != DOCUMENT:
            raise errors.NotFound("ACCOUNT_NOT_FOUND", "未找到使用该证件注册的账号",
                                  "No account is registered with this document")
        return id_pb.UnlockApplicantSignInResponse(account_id="acc-1")

    async def StartStaffEnrolment(self, request: Any, context: Any) -> Any:
        self.calls.items.append(("StartStaffEnrolment", request, None))  # public: no actor
        if request.setup_code != SETUP_CODE:
            raise errors.Unauthenticated("R-ID-8", "登录失败", "Sign-in failed")
        return id_pb.StartStaffEnrolmentResponse(
            enrolment_token="enrol-1", totp_secret=ENROL_SECRET,
            totp_uri=f"otpauth://totp/%E6%95%99:{request.username}?secret={ENROL_SECRET}&issuer=%E6%95%99")

    async def FinishStaffEnrolment(self, request: Any, context: Any) -> Any:
        self.calls.items.append(("FinishStaffEnrolment", request, None))
        if request.totp_code != "123456":
            raise errors.InvalidInput([errors.FieldProblem("totp_code", "R-STAFF-5", "验证码不正确", "The code is wrong")],
                                      code="R-STAFF-5")
        return id_pb.FinishStaffEnrolmentResponse(
            signed_in=id_pb.SignInResponse(session_token="tok-admin", subject_id="s-new", kind="staff",
                                           roles=[vocabulary.AUTHORITY_ADMIN]),
            recovery_codes=[f"RCVR-CODE-{n:04d}-ABCD" for n in range(10)])


class FakeIdentity(FakeStaffAdministration):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def ResolveSession(self, request: Any, context: Any) -> Any:
        if request.session_token not in STAFF:
            raise errors.Unauthenticated("UNAUTHENTICATED", "请先登录", "Please sign in first")
        role, org = STAFF[request.session_token]
        return id_pb.ResolveSessionResponse(subject_id=f"s-{request.session_token}", kind="staff", roles=[vocabulary.role(role)],
                                            organisation_code=org, name=f"{role} 测试")

    async def ListManualReviews(self, request: Any, context: Any) -> Any:
        self.calls.add("ListManualReviews", request, context)
        case = id_pb.ManualReviewCase(case_id="case-1", name="张三", document_type=DOCUMENT_TYPE_HKMO_PERMIT,
                                      masked_document_number="H1*****89", status=REVIEW_STATUS_PENDING,
                                      submitted_at="2026-03-02T08:00:00+00:00", due_date="2026-03-11",
                                      photo_ids=["photo-1"])
        return id_pb.ListManualReviewsResponse(cases=[case], total=1)

    async def DecideManualReview(self, request: Any, context: Any) -> Any:
        self.calls.add("DecideManualReview", request, context)
        return id_pb.ManualReviewCase(case_id=request.case_id, status=request.decision)

    async def ListSupportRequests(self, request: Any, context: Any) -> Any:
        self.calls.add("ListSupportRequests", request, context)
        item = id_pb.SupportRequest(request_id="sup-1", name="李四", kind="CHANGE_CONTACT", status=REVIEW_STATUS_PENDING,
                                    requested_email="new@example.cn", photo_ids=["photo-2"])
        anonymous = id_pb.SupportRequest(request_id="sup-2", name="王五", kind="CHANGE_CONTACT", status=REVIEW_STATUS_PENDING,
                                         requested_email="w5@example.cn", photo_ids=["photo-3"],
                                         without_sign_in=True, claimed_name="王 五")
        return id_pb.ListSupportRequestsResponse(requests=[item, anonymous], total=2)

    async def DecideSupportRequest(self, request: Any, context: Any) -> Any:
        self.calls.add("DecideSupportRequest", request, context)
        return id_pb.SupportRequest(request_id=request.request_id, status=request.decision)

    async def GetCasePhoto(self, request: Any, context: Any) -> Any:
        self.calls.add("GetCasePhoto", request, context)
        return id_pb.GetCasePhotoResponse(content_type="image/png", content=PNG)


class FakeDocuments(doc_rpc.DocumentsServiceServicer):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def VerifyFormCode(self, request: Any, context: Any) -> Any:
        self.calls.add("VerifyFormCode", request, context)
        if request.code != GOOD_CODE:
            return doc_pb.VerifyFormCodeResponse(genuine=False)
        return doc_pb.VerifyFormCodeResponse(genuine=True, application_number=APP_NUMBER, application_id=APP_ID,
                                             form_version="1a2b3c4d", current=False)

    async def ExportPointApplicants(self, request: Any, context: Any) -> Any:
        self.calls.add("ExportPointApplicants", request, context)
        yield doc_pb.ExportPointApplicantsResponse(metadata=doc_pb.FileMetadata(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"point-{request.point_code}.xlsx", display_filename="确认点名单.xlsx"))
        yield doc_pb.ExportPointApplicantsResponse(chunk=b"PK\x03\x04xlsx")


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
            lambda s: plans_rpc.add_PlanServiceServicer_to_server(FakePlans(calls), s),
            lambda s: ref_rpc.add_ReferenceDataServiceServicer_to_server(FakeReference(calls), s),
            lambda s: id_rpc.add_IdentityServiceServicer_to_server(FakeIdentity(calls), s),
            lambda s: doc_rpc.add_DocumentsServiceServicer_to_server(FakeDocuments(calls), s),
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


class Console:
    """A TestClient of the real gateway app, wired to the fakes."""

    def __init__(self, client: TestClient, calls: Calls) -> None:
        self.client = client
        self.calls = calls

    def sign_in(self, token: str) -> None:
        self.client.cookies.set("__Host-session", token)

    def csrf(self, path: str = "/staff") -> str:
        html = self.client.get(path).text
        found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
        assert found, html[:500]
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        token = self.csrf()
        return self.client.post(path, data={"csrf_token": token, **(data or {})}, follow_redirects=False, **kwargs)

    def post_json(self, path: str, body: Any, method: str = "POST") -> Any:
        token = self.csrf()
        return self.client.request(method, path, json=body, headers={"X-CSRF-Token": token})


@contextmanager
def console() -> Iterator[Console]:
    with fake_services() as (port, calls):
        address = f"127.0.0.1:{port}"
        settings = GatewaySettings(identity_addresses=address, application_addresses=address,
                                   notification_addresses=address, documents_addresses=address,
                                   redis_url="redis://127.0.0.1:6379/15")
        with TestClient(create_app(settings), base_url="https://testserver") as client:
            yield Console(client, calls)
