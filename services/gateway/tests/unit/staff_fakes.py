"""Fakes of the gateway's staff clients (``tqr_gateway.clients.staff_*``) and of the identity client's
session and enrolment calls, for the staff console's page tests: plain objects in this process with
canned answers, put in place of the real clients through ``app.dependency_overrides``, so no gRPC
server runs. Every call is recorded under the client method's name with the actor the gateway
signed for it; refusals arrive as the real clients raise them (``client_fakes.refused``).

Imported by the test_staff_*.py modules as ``services.gateway.tests.unit.staff_fakes``; the tests
about the wire itself run over real gRPC servers (``staff_wire_fakes``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi.testclient import TestClient
from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import errors
from tqr.application.v1 import application_pb2 as ref_pb
from tqr.application.v1 import plans_pb2 as plans_pb
from tqr.application.v1 import staff_pb2 as staff_pb
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wizard
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_HKMO_PERMIT
from tqr.identity.v1 import identity_pb2 as id_pb
from tqr.identity.v1.identity_pb2 import REVIEW_STATUS_PENDING
from tqr_gateway import deps, vocabulary
from tqr_gateway.app import create_app
from tqr_gateway.clients.staff_application import BulkFilter, PlanInput, SearchPage
from tqr_gateway.clients.staff_documents import ExportedFile, FormCodeCheck
from tqr_gateway.clients.staff_identity import CasePhoto
from tqr_gateway.clients.workflow_rules import WorkflowRules, status_code
from tqr_gateway.config import GatewaySettings

from services.gateway.tests.unit.client_fakes import Recorder, actor_in, refused
from services.gateway.tests.unit.slot_fakes import slot
from services.gateway.tests.unit.workflow_fakes import served_rules

APP_ID = "app-1"
APP_NUMBER = "2026110108000123"
INCOMPLETE_APP_ID = "app-incomplete"
INCOMPLETE_ITEMS = ("教师资格证书原件", "单位出具的任教证明")  # one from the default checklist, one typed
CLAIMED_APP_ID = "app-0"  # claimed by 张老师 (R-STAFF-6)
CONFLICT_APP_ID = "app-conflict"  # its certificate number is claimed by another applicant (R-WIZ-10)
OTHER_PLAN_APP_ID = "app-other-plan"  # its certificate number is live in another authority's plan (R-STAFF-8)
BOOKED_APP_ID = "app-booked"  # its applicant booked a slot at the point (R-SLOT-2)
SLOT_CANCELLED_APP_ID = "app-slot-cancelled"  # ... which the point then cancelled (R-SLOT-3)
DOCUMENT = "11010519491231002X"
GOOD_CODE = f"TQR1.{APP_NUMBER}.1a2b3c4d.GOODMAC"
PNG = b"\x89PNG\r\n\x1a\nfake"
SETUP_CODE = "ABCD-EFGH-JKLM-NPQR"
ENROL_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
Metadata = Sequence[tuple[str, str | bytes]]

# (token) -> (role, organisation)
STAFF = {
    "tok-admin": ("AUTHORITY_ADMIN", "110108"),
    "tok-point": ("POINT_STAFF", "11010801"),
    "tok-reviewer": ("IDENTITY_REVIEWER", ""),
    "tok-sysadmin": ("SYSTEM_ADMIN", ""),
    "tok-other-admin": ("AUTHORITY_ADMIN", "110105"),
    "tok-odd-point": ("POINT_STAFF", "HD-SCHOOL-7"),  # a point whose code does not begin with 110108
}
MEMBER = id_pb.StaffMember(staff_id="staff-9", username="point11010802", display_name="海淀二号确认点",
                           role=vocabulary.POINT_STAFF, organisation_code="11010802", active=True)
NOT_YOURS = errors.PermissionDenied("R-STAFF-4", "这份申请不属于您的单位，不能办理",
                                    "This application is not in your organisation")


POINTS = [ref_pb.ConfirmationPoint(code="11010801", authority_code="110108", name="海淀一号确认点",
                                   onsite_notes="请带身份证原件"),
          ref_pb.ConfirmationPoint(code="11010802", authority_code="110108", name="海淀二号确认点"),
          ref_pb.ConfirmationPoint(code="HD-SCHOOL-7", authority_code="110108", name="海淀实验学校确认点",
                                   address="海淀区学院路 7 号", onsite_notes="请走东门")]


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def in_scope(actor: Actor | None) -> bool:
    """The application service's R-STAFF-4 scope, reduced to the one application these tests use."""
    return actor is not None and (
        (actor.role == vocabulary.AUTHORITY_ADMIN and actor.organisation_code == "110108")
        or (actor.role == vocabulary.POINT_STAFF and actor.organisation_code == "11010801"))


def application_view(status: str = "SUBMITTED", allowed: tuple[str, ...] = ()) -> views.ApplicationView:
    at = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    return views.ApplicationView(
        application_id=APP_ID, application_number=APP_NUMBER, applicant_id="acc-1", applicant_name="王小明",
        document_number_masked="1101**********002X", version=3,
        status=views.StatusView(status=status, label_zh="信息提交成功，等待现场确认", label_en="Submitted",
                                meaning_zh="已提交", meaning_en="Submitted"),
        certificate=views.CertificateData(certificate_number="20101100122000017", holder_name="王小明"),
        authority_code="110108", authority_name="北京市海淀区教育委员会",
        point=views.PointWindow(point_code="11010801", point_name="海淀一号确认点"),
        materials=views.Materials(email="teacher@example.cn"), allowed_actions=list(allowed), submitted_at=ts(at),
        history=[views.StatusHistoryEntry(to_status="SUBMITTED", action="SUBMIT",
                                          actor_role="APPLICANT", at=ts(at))])


def staff_view(application_id: str, actor: Actor | None) -> views.ApplicationView:
    """What the service shows this actor: the actions its role may take on a submitted application."""
    allowed = (("CONFIRM_ON_SITE", "MARK_MATERIALS_INCOMPLETE", "MARK_WRONG_AUTHORITY", "MARK_NOT_ELIGIBLE")
               if actor is not None and actor.role == vocabulary.POINT_STAFF
               else ("MARK_WRONG_AUTHORITY", "MARK_NOT_ELIGIBLE"))
    view = application_view(allowed=allowed)
    view.certificate_claimed_by_another = application_id == CONFLICT_APP_ID
    if application_id == INCOMPLETE_APP_ID:  # issue 19 item 19: the applicant said the papers are ready
        view.application_id = INCOMPLETE_APP_ID
        view.status.status = "MATERIALS_INCOMPLETE"
        view.status.missing_materials.extend(INCOMPLETE_ITEMS)
        view.status.materials_resubmitted_at.FromSeconds(1_773_100_800)  # 2026-03-10 08:00 Beijing time
    if application_id in (BOOKED_APP_ID, SLOT_CANCELLED_APP_ID):
        view.slot.slot.CopyFrom(slot("s1", "11010801", "2036-03-20", "09:00", "10:00", booked=2))
        view.slot.needs_rebooking = application_id == SLOT_CANCELLED_APP_ID
    if application_id == OTHER_PLAN_APP_ID:
        view.also_in_other_plans.append(views.OtherPlanAuthority(authority_code="110105",
                                                                 authority_name="北京市朝阳区教育委员会"))
    return view


def summaries(certificate_conflicts_only: bool = False, other_plan_only: bool = False) -> list[views.ApplicationSummary]:
    rows = [views.ApplicationSummary(application_id=f"app-{i}", application_number=f"20261101080{i:05d}",
                                     applicant_name=f"申请人{i}", status="SUBMITTED",
                                     status_label="信息提交成功，等待现场确认",
                                     certificate_claimed_by_another=i == 0, also_in_other_plan=i == 1)
            for i in range(2)]
    if certificate_conflicts_only:
        rows = [r for r in rows if r.certificate_claimed_by_another]
    return [r for r in rows if r.also_in_other_plan] if other_plan_only else rows


def plans() -> list[views.Plan]:
    start = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    return [views.Plan(plan_id="plan-1", authority_code="110108", name="2026年教师资格定期注册",
                       online_start=ts(start), online_end=ts(datetime(2026, 4, 1, 9, 30, tzinfo=UTC)),
                       points=[views.PointWindow(point_code="11010801", point_name="海淀一号确认点",
                                                 confirm_start=ts(start), confirm_end=ts(start))])]


@dataclass
class Calls(Recorder):
    # What the application service serves as its workflow rules: its real ones unless a test changes
    # them (test_workflow_rules_followed); read on every request.
    rules: ref_pb.GetWorkflowRulesResponse = field(default_factory=served_rules)
    # The authority's own materials checklist (issue 19 item 19); empty: the default (the served one).
    checklist: list[ref_pb.MaterialItem] = field(default_factory=list)
    # R-STAFF-6: the fake service's stored bulk results, by idempotency key.
    bulk_results: dict[str, staff_pb.BulkDecideResponse] = field(default_factory=dict)

    def of(self, method: str) -> list[tuple[Any, Actor | None]]:
        """Each call of ``method`` as (its arguments, the actor it was made for)."""
        return [(arguments, actor) for name, arguments, actor in self.calls if name == method]

    def clear(self) -> None:
        self.calls.clear()


class FakeStaffApplications:
    """``StaffApplicationClient``: the staff actions, plans and reference data."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def _check(self, metadata: Metadata) -> Actor | None:
        actor = actor_in(metadata)
        if not in_scope(actor):
            raise refused(NOT_YOURS)
        return actor

    async def find(self, query: str, *, metadata: Metadata) -> list[views.ApplicationSummary]:
        self.calls.record("find", metadata, query=query)
        if query not in (APP_NUMBER, DOCUMENT) or not in_scope(actor_in(metadata)):
            return []
        return [views.ApplicationSummary(application_id=APP_ID, application_number=APP_NUMBER,
                                         applicant_name="王小明", status="SUBMITTED")]

    async def search(self, *, metadata: Metadata, status: str = "", point_code: str = "",
                     application_number: str = "", applicant_name: str = "", page_size: int = 20,
                     page_token: str = "", certificate_conflicts_only: bool = False,
                     other_plan_only: bool = False) -> SearchPage:
        self.calls.record("search", metadata, status=status, point_code=point_code,
                          application_number=application_number, applicant_name=applicant_name,
                          page_size=page_size, page_token=page_token,
                          certificate_conflicts_only=certificate_conflicts_only, other_plan_only=other_plan_only)
        return SearchPage(summaries(certificate_conflicts_only, other_plan_only), "" if page_token else "tok-2")

    async def get(self, application_id: str, *, metadata: Metadata) -> views.ApplicationView:
        self.calls.record("get", metadata, application_id=application_id)
        return staff_view(application_id, self._check(metadata))

    async def eligibility(self, application_id: str, *, metadata: Metadata) -> wizard.EligibilityReport:
        self.calls.record("eligibility", metadata, application_id=application_id)
        self._check(metadata)
        return wizard.EligibilityReport(eligible=False, likely_outcome="DEFERRED", findings=[wizard.EligibilityFinding(
            code="ELIG-HOURS", message_zh="继续教育学时不足 360 学时", message_en="Too few hours", outcome="DEFERRED")])

    async def act(self, application_id: str, action: str, *, role: vocabulary.Role, metadata: Metadata,
                  reason: str = "", missing_materials: Sequence[str] = (),
                  expected_version: int = 0) -> views.ApplicationView:
        self.calls.record("act", metadata, application_id=application_id, action=action, role=role, reason=reason,
                          missing_materials=list(missing_materials), expected_version=expected_version)
        self._check(metadata)
        return application_view("CONFIRMED" if action == "CONFIRM_ON_SITE" else "REGISTERED")

    async def post_message(self, application_id: str, body: str, *, metadata: Metadata) -> views.Message:
        self.calls.record("post_message", metadata, application_id=application_id, body=body)
        self._check(metadata)
        return views.Message(message_id="m-1", application_id=application_id, body=body)

    async def correct_email(self, application_id: str, email: str, reason: str, *,
                            metadata: Metadata) -> views.ApplicationView:
        self.calls.record("correct_email", metadata, application_id=application_id, email=email, reason=reason)
        self._check(metadata)
        return application_view()

    async def materials_checklist(self, *, metadata: Metadata,
                                  authority_code: str = "") -> plans_pb.GetMaterialsChecklistResponse:
        """The authority's own (``calls.checklist``) or the served default, as the service answers."""
        self.calls.record("materials_checklist", metadata, authority_code=authority_code)
        own = self.calls.checklist
        items = own if own else list(self.calls.rules.materials_checklist)
        return plans_pb.GetMaterialsChecklistResponse(authority_code=authority_code or "110108", items=items,
                                                      customised=bool(own))

    async def set_materials_checklist(self, items: Sequence[ref_pb.MaterialItem], *,
                                      metadata: Metadata) -> plans_pb.GetMaterialsChecklistResponse:
        self.calls.record("set_materials_checklist", metadata, items=list(items))
        if any(not i.name_zh for i in items):
            raise refused(errors.InvalidInput([errors.FieldProblem(
                "items[0]", "R-APP-2", "第 1 项：中文名称应为 1 至 100 个字",
                "Item 1: the Chinese name has 1 to 100 characters")], code="R-APP-2"))
        self.calls.checklist = [ref_pb.MaterialItem(code=i.code or f"ITEM_{n + 1}", name_zh=i.name_zh,
                                                    name_en=i.name_en or i.name_zh) for n, i in enumerate(items)]
        return await self.materials_checklist(metadata=metadata)

    # R-STAFF-6: "app-1" is claimed by 张老师; a bulk decision refuses it and decides the rest; a
    # repeated idempotency key gets the stored results back.
    async def resolve_selection(self, where: BulkFilter, *, metadata: Metadata) -> staff_pb.ResolveBulkSelectionResponse:
        self.calls.record("resolve_selection", metadata, where=where)
        return staff_pb.ResolveBulkSelectionResponse(applications=summaries(where.certificate_conflicts_only),
                                                     max_items=500)

    async def bulk_decide(self, action: str, *, idempotency_key: str, metadata: Metadata,
                          application_ids: Sequence[str] = (), where: BulkFilter | None = None, reason: str = "",
                          missing_materials: Sequence[str] = ()) -> staff_pb.BulkDecideResponse:
        self.calls.record("bulk_decide", metadata, action=action, idempotency_key=idempotency_key,
                          application_ids=list(application_ids), where=where, reason=reason,
                          missing_materials=list(missing_materials))
        self._check(metadata)
        stored = self.calls.bulk_results.get(idempotency_key)
        if stored is not None:
            replay = staff_pb.BulkDecideResponse()
            replay.CopyFrom(stored)
            replay.replayed = True
            return replay
        results = []
        for application_id in application_ids:
            number = f"20261101080{int(application_id.rsplit('-', 1)[-1]):05d}" if application_id[-1].isdigit() else ""
            if application_id == CLAIMED_APP_ID:
                results.append(staff_pb.BulkItemResult(
                    application_id=application_id, application_number=number, ok=False, code="R-STAFF-6",
                    message_zh="该申请由 张老师 处理中（至 10:30），其他人暂时不能办理",
                    message_en="This application is claimed by 张老师 (until 10:30 Beijing time)"))
            else:
                results.append(staff_pb.BulkItemResult(application_id=application_id, application_number=number,
                                                       ok=True, status=status_code("REGISTERED")))
        reply = staff_pb.BulkDecideResponse(results=results, succeeded=sum(r.ok for r in results),
                                            refused=sum(not r.ok for r in results))
        self.calls.bulk_results[idempotency_key] = reply
        return reply

    async def claim(self, application_id: str, *, metadata: Metadata) -> staff_pb.WorkClaim:
        self.calls.record("claim", metadata, application_id=application_id)
        self._check(metadata)
        return staff_pb.WorkClaim(application_id=application_id, staff_name="我", mine=True)

    async def release_claim(self, application_id: str, *, metadata: Metadata) -> bool:
        self.calls.record("release_claim", metadata, application_id=application_id)
        return True

    async def claims(self, application_ids: Sequence[str], *, metadata: Metadata) -> dict[str, staff_pb.WorkClaim]:
        self.calls.record("claims", metadata, application_ids=list(application_ids))
        until = ts(datetime(2026, 3, 10, 2, 30, tzinfo=UTC))  # 10:30 in Beijing
        return {i: staff_pb.WorkClaim(application_id=i, staff_id="s-zhang", staff_name="张老师", expires_at=until)
                for i in application_ids if i == CLAIMED_APP_ID}

    async def list_plans(self, *, metadata: Metadata, authority_code: str = "") -> list[views.Plan]:
        self.calls.record("list_plans", metadata, authority_code=authority_code)
        return plans()

    async def create_plan(self, authority_code: str, plan: PlanInput, *, metadata: Metadata) -> views.Plan:
        self.calls.record("create_plan", metadata, authority_code=authority_code, plan=plan)
        return views.Plan(plan_id="plan-2", name=plan.name)

    async def update_plan(self, plan_id: str, plan: PlanInput, *, metadata: Metadata) -> views.Plan:
        self.calls.record("update_plan", metadata, plan_id=plan_id, plan=plan)
        return views.Plan(plan_id=plan_id, name=plan.name)

    async def set_point_notes(self, point_code: str, notes: str, *, metadata: Metadata) -> None:
        self.calls.record("set_point_notes", metadata, point_code=point_code, notes=notes)

    async def list_points(self, authority_code: str, *, metadata: Metadata) -> list[ref_pb.ConfirmationPoint]:
        return [p for p in POINTS if p.authority_code == authority_code]

    async def point(self, point_code: str, *, metadata: Metadata) -> ref_pb.ConfirmationPoint | None:
        self.calls.record("point", metadata, point_code=point_code)
        return next((p for p in POINTS if p.code == point_code), None)

    async def list_authorities(self, *, metadata: Metadata) -> list[ref_pb.Authority]:
        return [ref_pb.Authority(code="110108", name="海淀区教委")]

    async def list_regions(self, *, metadata: Metadata, parent_code: str = "") -> list[ref_pb.Region]:
        return [ref_pb.Region(code="110000", name="北京市")]

    async def code_lists(self, *, metadata: Metadata) -> ref_pb.ListCodeListsResponse:
        return ref_pb.ListCodeListsResponse(teaching_stages=[ref_pb.CodeName(code="PRIMARY", name="小学")])

    async def update_authority(self, code: str, *, name: str, address: str, phone: str,
                               metadata: Metadata) -> ref_pb.Authority:
        self.calls.record("update_authority", metadata, code=code, name=name, address=address, phone=phone)
        return ref_pb.Authority(code=code, name=name, address=address, phone=phone)

    async def update_point(self, code: str, *, address: str, phone: str, scope: str,
                           metadata: Metadata) -> ref_pb.ConfirmationPoint:
        self.calls.record("update_point", metadata, code=code, address=address, phone=phone, scope=scope)
        return ref_pb.ConfirmationPoint(code=code, address=address, phone=phone, scope=scope)

    async def rename_code(self, list_name: str, code: str, name: str, *, metadata: Metadata) -> ref_pb.CodeName:
        self.calls.record("rename_code", metadata, list_name=list_name, code=code, name=name)
        return ref_pb.CodeName(code=code, name=name)

    async def import_reference(self, files: dict[str, str], *, dry_run: bool,
                               metadata: Metadata) -> ref_pb.ImportReferenceDataResponse:
        """A file with a row of "BAD" fails on that row; any other adds each of its rows."""
        self.calls.record("import_reference", metadata, files=files, dry_run=dry_run)
        rows = [(name, number, line.split(",")) for name, text in files.items()
                for number, line in enumerate(text.strip().splitlines()[1:], start=2)]
        errors_found = [ref_pb.ImportRowError(file=name, row=number, column="code", message_zh="代码不对",
                                              message_en="wrong code") for name, number, cells in rows
                        if cells[0] == "BAD"]
        if errors_found:
            return ref_pb.ImportReferenceDataResponse(errors=errors_found)
        return ref_pb.ImportReferenceDataResponse(
            imported=not dry_run, counts={name: sum(1 for r in rows if r[0] == name) for name in files},
            preview=[ref_pb.ImportPreviewRow(file=name, code=cells[0], name=cells[1]) for name, _, cells in rows]
            if dry_run else [])


def _refuse_outside(actor: Actor | None, organisation: str) -> None:
    """Identity's R-STAFF-5 scope, reduced to what these tests need."""
    if actor is not None and actor.role == vocabulary.AUTHORITY_ADMIN and \
            not organisation.startswith(actor.organisation_code):
        raise refused(errors.PermissionDenied("R-STAFF-5", "您不能管理此账号或此机构的人员",
                                              "You cannot manage this account or the staff of this organisation"))


def _setup_code(member: id_pb.StaffMember) -> id_pb.StaffSetupCodeResponse:
    return id_pb.StaffSetupCodeResponse(staff=member, setup_code=SETUP_CODE,
                                        setup_code_expires_at="2026-03-04T02:00:00+00:00")


class FakeStaffIdentity:
    """``StaffIdentityClient``: the reviewers' queues (R-STAFF-3) and staff administration (R-STAFF-5)."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.cases = [id_pb.ManualReviewCase(
            case_id="case-1", name="张三", document_type=DOCUMENT_TYPE_HKMO_PERMIT, masked_document_number="H1*****89",
            status=REVIEW_STATUS_PENDING, submitted_at="2026-03-02T08:00:00+00:00", due_date="2026-03-11",
            photo_ids=["photo-1"])]
        self.support = [
            id_pb.SupportRequest(request_id="sup-1", name="李四", kind="CHANGE_CONTACT", status=REVIEW_STATUS_PENDING,
                                 requested_email="new@example.cn", photo_ids=["photo-2"]),
            id_pb.SupportRequest(request_id="sup-2", name="王五", kind="CHANGE_CONTACT", status=REVIEW_STATUS_PENDING,
                                 requested_email="w5@example.cn", photo_ids=["photo-3"], without_sign_in=True,
                                 claimed_name="王 五")]

    async def manual_reviews(self, *, metadata: Metadata, status: str = "PENDING", page: int = 0,
                             page_size: int = 20) -> tuple[list[id_pb.ManualReviewCase], int]:
        self.calls.record("manual_reviews", metadata, status=status, page=page, page_size=page_size)
        return list(self.cases), len(self.cases)

    async def manual_review(self, case_id: str, *, metadata: Metadata) -> id_pb.ManualReviewCase | None:
        self.calls.record("manual_review", metadata, case_id=case_id)
        return next((case for case in self.cases if case.case_id == case_id), None)

    async def decide_manual_review(self, case_id: str, decision: str, reason: str, *,
                                   metadata: Metadata) -> id_pb.ManualReviewCase:
        self.calls.record("decide_manual_review", metadata, case_id=case_id, decision=decision, reason=reason)
        return id_pb.ManualReviewCase(case_id=case_id, status=vocabulary.review_status(decision))

    async def support_requests(self, *, metadata: Metadata, status: str = "PENDING", page: int = 0,
                               page_size: int = 20) -> tuple[list[id_pb.SupportRequest], int]:
        self.calls.record("support_requests", metadata, status=status, page=page, page_size=page_size)
        return list(self.support), len(self.support)

    async def support_request(self, request_id: str, *, metadata: Metadata) -> id_pb.SupportRequest | None:
        self.calls.record("support_request", metadata, request_id=request_id)
        return next((item for item in self.support if item.request_id == request_id), None)

    async def decide_support_request(self, request_id: str, decision: str, reason: str, *,
                                     metadata: Metadata) -> id_pb.SupportRequest:
        self.calls.record("decide_support_request", metadata, request_id=request_id, decision=decision,
                          reason=reason)
        return id_pb.SupportRequest(request_id=request_id, status=vocabulary.review_status(decision))

    async def case_photo(self, photo_id: str, *, metadata: Metadata) -> CasePhoto:
        self.calls.record("case_photo", metadata, photo_id=photo_id)
        return CasePhoto("image/png", PNG)

    async def staff(self, *, metadata: Metadata) -> list[id_pb.StaffMember]:
        self.calls.record("staff", metadata)
        return [MEMBER]

    async def create_staff(self, *, username: str, display_name: str, role: str, organisation_code: str,
                           metadata: Metadata) -> id_pb.StaffSetupCodeResponse:
        self.calls.record("create_staff", metadata, username=username, display_name=display_name, role=role,
                          organisation_code=organisation_code)
        _refuse_outside(actor_in(metadata), organisation_code)
        return _setup_code(id_pb.StaffMember(staff_id="staff-new", username=username, display_name=display_name,
                                             role=vocabulary.role(role), organisation_code=organisation_code,
                                             active=True, must_enrol=True))

    async def update_staff(self, staff_id: str, *, display_name: str, role: str, organisation_code: str,
                           metadata: Metadata) -> id_pb.StaffMember:
        self.calls.record("update_staff", metadata, staff_id=staff_id, display_name=display_name, role=role,
                          organisation_code=organisation_code)
        _refuse_outside(actor_in(metadata), organisation_code)
        return MEMBER

    async def set_staff_active(self, staff_id: str, active: bool, *, metadata: Metadata) -> id_pb.StaffMember:
        self.calls.record("set_staff_active", metadata, staff_id=staff_id, active=active)
        return MEMBER

    async def reset_staff(self, staff_id: str, what: str, *, metadata: Metadata) -> id_pb.StaffSetupCodeResponse:
        self.calls.record("reset_staff", metadata, staff_id=staff_id, what=what)
        return _setup_code(MEMBER)

    async def unlock_applicant(self, *, document_type: str, document_number: str, metadata: Metadata) -> str:
        self.calls.record("unlock_applicant", metadata, document_type=document_type, document_number=document_number)
        if document_number != DOCUMENT:
            raise refused(errors.NotFound("ACCOUNT_NOT_FOUND", "未找到使用该证件注册的账号",
                                          "No account is registered with this document"))
        return "acc-1"


    async def correct_account_email(self, account_id: str, email: str, reason: str, *, application_number: str,
                                    organisation_name: str, metadata: Metadata) -> id_pb.CorrectAccountEmailResponse:
        self.calls.record("correct_account_email", metadata, account_id=account_id, email=email, reason=reason,
                          application_number=application_number, organisation_name=organisation_name)
        return id_pb.CorrectAccountEmailResponse(account_id=account_id, masked_email="n***@example.cn", changed=True)


class FakeStaffDocuments:
    """``StaffDocumentsClient``: the form code's check (R-STAFF-2) and the point's workbook."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def printout_status(self, application_id: str, *, metadata: Metadata) -> Any:
        return None  # the documents service did not answer: the page goes without the notice

    async def verify_form_code(self, code: str, *, metadata: Metadata) -> FormCodeCheck:
        self.calls.record("verify_form_code", metadata, code=code)
        if code.strip() != GOOD_CODE:
            return FormCodeCheck(False)
        return FormCodeCheck(True, APP_NUMBER, APP_ID, current=False)  # the printout is older than the data

    async def export_point_applicants(self, point_code: str, *, metadata: Metadata) -> ExportedFile:
        self.calls.record("export_point_applicants", metadata, point_code=point_code)
        return ExportedFile("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            f"point-{point_code}.xlsx", "确认点名单.xlsx", b"PK\x03\x04xlsx")


class FakeIdentity:
    """The ``IdentityClient`` calls the console makes: resolving a staff session, and the first
    sign-in with a setup code (R-STAFF-5), which has no actor yet."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def resolve_session(self, session_token: str) -> id_pb.ResolveSessionResponse:
        if session_token not in STAFF:
            raise refused(errors.Unauthenticated("UNAUTHENTICATED", "请先登录", "Please sign in first"))
        role, org = STAFF[session_token]
        return id_pb.ResolveSessionResponse(subject_id=f"s-{session_token}", kind="staff", roles=[vocabulary.role(role)],
                                            organisation_code=org, name=f"{role} 测试")

    async def start_staff_enrolment(self, *, username: str, setup_code: str,
                                    client_id: str) -> id_pb.StartStaffEnrolmentResponse:
        self.calls.record("start_staff_enrolment", username=username, setup_code=setup_code, client_id=client_id)
        if setup_code != SETUP_CODE:
            raise refused(errors.Unauthenticated("R-ID-8", "登录失败", "Sign-in failed"))
        return id_pb.StartStaffEnrolmentResponse(
            enrolment_token="enrol-1", totp_secret=ENROL_SECRET,
            totp_uri=f"otpauth://totp/%E6%95%99:{username}?secret={ENROL_SECRET}&issuer=%E6%95%99")

    async def finish_staff_enrolment(self, *, enrolment_token: str, new_password: str, new_password_confirm: str,
                                     totp_code: str, client_id: str) -> id_pb.FinishStaffEnrolmentResponse:
        self.calls.record("finish_staff_enrolment", enrolment_token=enrolment_token, new_password=new_password,
                          new_password_confirm=new_password_confirm, totp_code=totp_code, client_id=client_id)
        if totp_code != "123456":
            raise refused(errors.InvalidInput(
                [errors.FieldProblem("totp_code", "R-STAFF-5", "验证码不正确", "The code is wrong")], code="R-STAFF-5"))
        return id_pb.FinishStaffEnrolmentResponse(
            signed_in=id_pb.SignInResponse(session_token="tok-admin", subject_id="s-new", kind="staff",
                                           roles=[vocabulary.AUTHORITY_ADMIN]),
            recovery_codes=[f"RCVR-CODE-{n:04d}-ABCD" for n in range(10)])


class CallLog(Protocol):
    def of(self, method: str) -> list[tuple[Any, Any]]: ...

    def clear(self) -> None: ...


class Console:
    """A TestClient of the real gateway app, wired to fakes (in process here, over gRPC in
    ``staff_wire_fakes``)."""

    def __init__(self, client: TestClient, calls: CallLog) -> None:
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


def _returning(client: Any) -> Any:
    async def dependency() -> Any:  # async: a plain def would run in a worker thread
        return client
    return dependency


@contextmanager
def console() -> Iterator[Console]:
    """The real gateway app with the staff console's clients replaced by the fakes above."""
    calls = Calls()
    address = "127.0.0.1:9"  # no service listens: every call goes to the fakes
    settings = GatewaySettings(identity_addresses=address, application_addresses=address,
                               notification_addresses=address, documents_addresses=address,
                               redis_url="redis://127.0.0.1:6379/15")
    app = create_app(settings)
    identity = FakeIdentity(calls)

    async def served_workflow_rules() -> WorkflowRules:
        return WorkflowRules.of(calls.rules)

    app.dependency_overrides.update({
        deps.identity_client: _returning(identity),
        deps.staff_application_client: _returning(FakeStaffApplications(calls)),
        deps.staff_identity_client: _returning(FakeStaffIdentity(calls)),
        deps.staff_documents_client: _returning(FakeStaffDocuments(calls)),
        deps.workflow_rules: served_workflow_rules,
    })
    with TestClient(app, base_url="https://testserver") as client:
        # The session middleware is no route, so no dependency reaches it: it asks the started
        # app's identity client, which becomes the fake too.
        app.state.clients = replace(app.state.clients, identity=identity)
        yield Console(client, calls)
