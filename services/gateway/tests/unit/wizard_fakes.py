"""In-process fakes of the gateway's clients for the wizard and portal tests, put in place of the
real clients through ``app.dependency_overrides``, the application client as the started app's own
(no gRPC server runs).

They keep just enough state to walk the wizard (a draft per account), refuse the way the real
clients do (``client_fakes.refused``: status + Problem, so the gateway's own error mapping runs),
and own applications per account so another person's id answers NOT_FOUND.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import grpc
import httpx
from servicekit import errors
from tqr.application.v1 import application_pb2 as ref
from tqr.application.v1 import applications_pb2 as apps
from tqr.application.v1 import slots_pb2, status_pb2
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wiz
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_ID_CARD, GENDER_FEMALE, ROLE_APPLICANT
from tqr.documents.v1 import documents_pb2 as docs
from tqr.identity.v1 import identity_pb2 as idp
from tqr.notification.v1 import notification_pb2 as note
from tqr_gateway import deps
from tqr_gateway.app import create_app
from tqr_gateway.clients.application import AuthorityView
from tqr_gateway.clients.channels import Channels
from tqr_gateway.clients.documents import FileDownload
from tqr_gateway.clients.reference_memory import ReferenceAt, ReferenceMemory
from tqr_gateway.clients.workflow_rules import WorkflowRules
from tqr_gateway.config import GatewaySettings

from services.gateway.tests.unit.client_fakes import actor_in, guard_text, refused
from services.gateway.tests.unit.slot_fakes import FakeSlots
from services.gateway.tests.unit.workflow_fakes import served_rules

Metadata = Any

ACCOUNTS = {"token-a": ("acc-a", "欧阳倩", "4401**********8395"), "token-b": ("acc-b", "张晨晓", "1101**********3511")}
REGISTRY_NUMBER = "20114400000000001"
SOMEONE_ELSES_NUMBER = "20114400000000002"  # on record for another holder (R-WIZ-10)
NO_PLAN_AUTHORITY = "110106"
PHOTO = b"\x89PNG\r\n\x1a\n-fake-photo"
FAKE_PDF = b"%PDF-1.4\n% fake form\n"


@dataclass
class State:
    drafts: dict[str, wiz.Draft] = field(default_factory=dict)
    must_read_ready: bool = True
    applications: dict[str, tuple[str, views.ApplicationView]] = field(default_factory=dict)  # id → (owner, view)
    submissions: dict[str, str] = field(default_factory=dict)  # idempotency key → application id
    saved_steps: list[wiz.SaveWizardStepRequest] = field(default_factory=list)
    edits: list[apps.EditApplicationRequest] = field(default_factory=list)
    started_identities: list[views.ApplicantIdentity] = field(default_factory=list)
    current_plans: list[views.Plan] = field(default_factory=list)  # what ListCurrentPlans answers
    region_searches: list[str] = field(default_factory=list)  # the texts SearchRegions was asked for
    draft_reads: int = 0  # GetDraft calls
    photo_reads: int = 0  # GetDraft calls that asked for the registry photo
    in_flight: int = 0  # calls of the application page started and not yet answered (``_give_way``)
    most_in_flight: int = 0
    reference_calls: list[str] = field(default_factory=list)  # code lists, regions, authorities, plans asked
    reference_memory: ReferenceMemory = field(default_factory=ReferenceMemory)  # the gateway process's
    printouts: dict[str, docs.GetPrintoutStatusResponse] = field(default_factory=dict)  # R-APP-8, by application id
    rules: ref.GetWorkflowRulesResponse = field(default_factory=served_rules)  # what GetWorkflowRules answers
    # What ListApplicationAccess answers (R-STAFF-9); None: the service cannot answer.
    access: list[apps.ApplicationAccess] | None = field(default_factory=list)
    point_slots: list[slots_pb2.AppointmentSlot] = field(default_factory=list)  # R-SLOT-1: what step 5 offers
    slots: FakeSlots = field(default_factory=FakeSlots)  # the portal's slot client


async def _give_way(state: State) -> None:
    """A call gives way once before it answers, as a network call does: calls made together
    overlap (``State.most_in_flight``), calls made one after another do not."""
    state.in_flight += 1
    state.most_in_flight = max(state.most_in_flight, state.in_flight)
    try:
        await asyncio.sleep(0)
    finally:
        state.in_flight -= 1


def _who(md: Metadata) -> str:
    actor = actor_in(md)
    assert actor is not None, "the gateway called for a signed-in person without the actor"
    return actor.subject_id


def _problem(field_name: str, message: str, rule: str) -> grpc.aio.AioRpcError:
    return refused(errors.InvalidInput([errors.FieldProblem(field_name, rule, message, message)], code=rule))


def _check_materials(m: views.Materials) -> None:
    """As the service checks step 7: the whole section at once, every problem named by its field."""
    found: list[tuple[str, str]] = []
    for name, message in (("email", "请填写电子邮箱"), ("school", "请填写现任职学校"), ("post", "请填写现任岗位或职务"),
                          ("employment_start", "请填写现单位任职开始日期")):
        if not getattr(m, name):
            found.append((name, message))
    if not m.work_history:
        found.append(("work_history", "请填写近五年工作经历"))
    for i, row in enumerate(m.work_history):
        for name, message in (("start", "请填写开始日期"), ("school", "请填写工作单位"), ("post", "请填写岗位或职务")):
            if not getattr(row, name):
                found.append((f"work_history[{i}].{name}", message))
    for i, assessment in enumerate(m.annual_assessments):
        if not assessment.result:
            found.append((f"annual_assessments[{i}].result", f"请选择 {assessment.year} 年度考核结果"))
    if not m.ethics_assessment:
        found.append(("ethics_assessment", "请选择师德考核结果"))
    if m.continuing_education_hours < 0:
        found.append(("continuing_education_hours", "请填写继续教育学时（整数）"))
    if found:
        raise refused(errors.InvalidInput([errors.FieldProblem(f, "R-WIZ-7", text, text) for f, text in found],
                                          code="R-WIZ-7"))


PLAN = views.Plan(plan_id="plan-1", authority_code="110108", authority_name="北京市海淀区教育委员会", points=[
    views.PointWindow(point_code="P1", point_name="海淀区第一确认点", address="北京市海淀区中关村大街 1 号",
                      phone="010-12345678", scope="全区中小学"),
    # A point whose confirmation window has ended: step 5 shows it as closed, not as a choice.
    views.PointWindow(point_code="P2", point_name="海淀区已结束确认点", address="北京市海淀区学院路 2 号",
                      phone="010-87654321", scope="学院路街道")])
PLAN.points[0].confirm_start.FromSeconds(2_089_587_600)  # 2036-03-20 09:00 Beijing time (still ahead)
PLAN.points[0].confirm_end.FromSeconds(2_089_620_000)  # 2036-03-20 18:00 Beijing time
PLAN.points[1].confirm_start.FromSeconds(1_772_326_800)  # 2026-03-01 09:00 Beijing time (over)
PLAN.points[1].confirm_end.FromSeconds(1_773_133_200)  # 2026-03-10 17:00 Beijing time


class Identity:
    """The identity client as far as these pages use it: who holds a token, and their account."""

    async def resolve_session(self, session_token: str) -> idp.ResolveSessionResponse:
        if session_token not in ACCOUNTS:
            raise refused(errors.Unauthenticated("UNAUTHENTICATED", "请先登录", "Sign in"))
        subject, name, masked = ACCOUNTS[session_token]
        return idp.ResolveSessionResponse(subject_id=subject, kind="applicant", roles=[ROLE_APPLICANT], name=name,
                                          masked_document_number=masked, real_name_status="VERIFIED")

    async def get_account(self, md: Metadata) -> idp.AccountView:
        subject = _who(md)
        token = next(t for t, a in ACCOUNTS.items() if a[0] == subject)
        _, name, masked = ACCOUNTS[token]
        return idp.AccountView(account_id=subject, name=name, masked_document_number=masked, document_type=DOCUMENT_TYPE_ID_CARD,
                               real_name_status="VERIFIED", gender=GENDER_FEMALE, email="teacher@example.com")


# A slice of GB/T 2260 as the reference data holds it (东莞市 has no counties), by parent.
REGIONS: dict[str, list[tuple[str, str]]] = {
    "": [("110000", "北京市"), ("440000", "广东省")], "110000": [("110100", "市辖区")],
    "110100": [("110106", "丰台区"), ("110108", "海淀区")], "440000": [("441900", "东莞市")]}


def _places() -> list[tuple[str, str]]:
    """(code, path) of each county, or of a city without counties, as SearchRegions answers."""
    return [(code, path) for province, p_name in REGIONS[""] for city, c_name in REGIONS.get(province, [])
            for code, path in ([(county, f"{p_name} {c_name} {name}") for county, name in REGIONS.get(city, [])]
                               or [(city, f"{p_name} {c_name}")])]


class Applications:
    """The application client: reference data, the wizard, plans and the applicant's applications."""

    def __init__(self, state: State) -> None:
        self.state = state

    # --- reference data and plans (public)

    def reference_at(self, version: int) -> ReferenceAt:
        return ReferenceAt(self, self.state.reference_memory, version)  # type: ignore[arg-type]

    async def current_plans(self) -> list[views.Plan]:
        self.state.reference_calls.append("plans")
        return list(self.state.current_plans)

    async def list_regions(self, parent_code: str = "") -> list[ref.Region]:
        self.state.reference_calls.append(f"regions:{parent_code}")
        return [ref.Region(code=code, name=name, parent_code=parent_code)
                for code, name in REGIONS.get(parent_code, [])]

    async def search_regions(self, text: str, limit: int) -> list[ref.RegionMatch]:
        self.state.region_searches.append(text)
        return [ref.RegionMatch(code=code, path=path) for code, path in _places() if text in path][:limit]

    async def list_authorities(self, region_code: str = "") -> list[AuthorityView]:
        self.state.reference_calls.append(f"authorities:{region_code}")
        return [AuthorityView("110108", "北京市海淀区教育委员会", "110108", "", ""),
                AuthorityView(NO_PLAN_AUTHORITY, "北京市丰台区教育委员会", "110106", "", "")]

    async def list_points(self, authority_code: str) -> list[ref.ConfirmationPoint]:
        return [ref.ConfirmationPoint(code="P1", name="海淀区第一确认点")]

    async def code_lists(self) -> ref.ListCodeListsResponse:
        self.state.reference_calls.append("code_lists")
        return ref.ListCodeListsResponse(
            # The real lists share codes across lists (SENIOR_SECONDARY is a stage and a certificate type).
            teaching_stages=[ref.CodeName(code="PRIMARY", name="小学"),
                             ref.CodeName(code="SENIOR_SECONDARY", name="高级中学")],
            subjects=[ref.CodeName(code="MATH", name="数学"), ref.CodeName(code="NONE", name="无")],
            certificate_types=[ref.CodeName(code="PRIMARY_CERT", name="小学教师资格"),
                               ref.CodeName(code="SENIOR_SECONDARY", name="高级中学教师资格")])

    # --- the wizard

    def _draft(self, md: Metadata) -> wiz.Draft:
        draft = self.state.drafts.get(_who(md))
        if draft is None:
            raise refused(errors.NotFound("DRAFT_NOT_FOUND", "还没有开始申报", "No draft"))
        del draft.point_slots[:]
        draft.point_slots.extend(self.state.point_slots)
        return draft

    async def start(self, identity: views.ApplicantIdentity, md: Metadata) -> wiz.DraftResponse:
        self.state.started_identities.append(identity)
        draft = self.state.drafts.setdefault(_who(md), wiz.Draft(
            current_step=1, furthest_step=1, applicant_name=identity.name,
            must_read_seconds_left=0 if self.state.must_read_ready else 3))
        return _answer(draft)

    async def get_draft(self, md: Metadata, *, with_photo: bool = False) -> wiz.DraftResponse:
        self.state.draft_reads += 1
        draft = self._draft(md)
        self.state.photo_reads += with_photo
        return _answer(draft, with_photo=with_photo)

    async def save_step(self, request: wiz.SaveWizardStepRequest, md: Metadata) -> wiz.DraftResponse:
        guard_text(request)
        draft = self._draft(md)
        which = request.WhichOneof("step")
        overrides = set(request.override_warnings)
        step = {"must_read": 1, "terms": 2, "certificate_lookup": 3, "certificate_details": 4, "point": 5,
                "notes": 6, "materials": 7}[which]
        if draft.submitted:
            raise refused(errors.RuleViolation("R-WIZ-9", "这份申报已经提交", "This application has been submitted"))
        if step > draft.furthest_step:
            raise refused(errors.RuleViolation("R-WIZ", "请先完成前面的步骤", "Finish the earlier steps"))
        if which == "must_read" and not self.state.must_read_ready:
            raise refused(errors.RuleViolation("R-WIZ-1", "页面显示 3 秒后才能进入下一步", "Wait 3 seconds"))
        if which == "terms" and not request.terms.accept:
            raise refused(errors.RuleViolation("R-WIZ-2", "您需要选择“接受”服务条款，才能继续申报", "Accept the terms"))
        if which == "certificate_lookup":
            number = request.certificate_lookup.certificate_number
            if not number:
                raise _problem("certificate_number", "请填写教师资格证书号码", "R-WIZ-3")
            if number == SOMEONE_ELSES_NUMBER:
                raise refused(errors.RuleViolation("R-WIZ-10", "该证书号码属于另一位持证人。请联系您的注册机构核实",
                                           "This number is on record for another holder; contact your authority"))
            if not re.fullmatch(r"\d{15}|\d{17}", number) and "R-WIZ-3" not in overrides:
                raise refused(errors.RuleViolation("R-WIZ-3", f"证书号码通常是 15 位或 17 位数字，您填写的是 {len(number)} 位",
                                           "15 or 17 digits"))
            locked = number == REGISTRY_NUMBER
            draft.certificate.CopyFrom(views.CertificateData(
                certificate_number=number, locked=locked, has_photo=locked,
                holder_name="欧阳倩" if locked else "", issuing_body="广州市教育局" if locked else ""))
            draft.registry_photo = PHOTO if locked else b""
        if which == "certificate_details":
            d = request.certificate_details
            if not draft.certificate.locked and not d.holder_name:
                raise _problem("holder_name", "请填写持证人姓名", "R-WIZ-4")
            if d.authority_code == NO_PLAN_AUTHORITY:
                raise refused(errors.RuleViolation("R-PLAN-2", "北京市丰台区教育委员会尚未设置注册计划", "No plan"))
            draft.authority_code, draft.authority_name = d.authority_code, "北京市海淀区教育委员会"
            draft.teaching_stage_code, draft.teaching_subject_code = d.teaching_stage_code, d.teaching_subject_code
            draft.plan.CopyFrom(PLAN)
            if not draft.certificate.locked:
                draft.certificate.holder_name = d.holder_name
                draft.certificate.certificate_type_code, draft.certificate.subject_code = (
                    d.certificate_type_code, d.subject_code)
        if which == "point":
            offered = [s for s in self.state.point_slots if s.point_code == request.point.point_code]
            chosen = next((s for s in offered if s.slot_id == request.point.slot_id), None)
            if offered and chosen is None:
                raise _problem("slot_id", "该确认点需要预约，请选择一个现场确认时段", "R-SLOT-1")
            draft.point_code = request.point.point_code
            if chosen is not None:
                draft.booking.CopyFrom(slots_pb2.SlotBooking(slot=chosen, can_rebook=True))
        if which == "materials":
            m = request.materials.materials
            _check_materials(m)
            if min(w.start for w in m.work_history) > "2024" and "R-WIZ-7-HISTORY" not in overrides:
                raise refused(errors.RuleViolation("R-WIZ-7-HISTORY", "工作经历应覆盖近五年",
                                                   "Your work history should cover the last five years"))
            draft.materials.CopyFrom(m)
            kept = [w for w in draft.overridden_warnings if not w.startswith("R-WIZ-7-")]
            draft.overridden_warnings[:] = kept + sorted(w for w in overrides if w.startswith("R-WIZ-7-"))
        self.state.saved_steps.append(request)
        draft.current_step = min(step + 1, 7)
        draft.furthest_step = max(draft.furthest_step, min(step + 1, 7))
        return _answer(draft)

    async def go_back(self, to_step: int, md: Metadata) -> wiz.DraftResponse:
        draft = self._draft(md)
        draft.current_step = to_step
        return _answer(draft)

    async def check_eligibility(self, md: Metadata) -> wiz.EligibilityReport:
        hours = self._draft(md).materials.continuing_education_hours
        if hours >= 360:
            return wiz.EligibilityReport(eligible=True)
        finding = wiz.EligibilityFinding(code="ELIG-HOURS", message_zh="继续教育学时不足 360 学时",
                                         message_en="Fewer than 360 hours", outcome="DEFERRED")
        return wiz.EligibilityReport(findings=[finding], likely_outcome="DEFERRED")

    async def submit(self, idempotency_key: str, identity: views.ApplicantIdentity, overrides: list[str],
                     md: Metadata) -> wiz.SubmitApplicationResponse:
        owner = _who(md)
        if idempotency_key in self.state.submissions:
            view = self.state.applications[self.state.submissions[idempotency_key]][1]
        else:
            draft = self._draft(md)
            history = "R-WIZ-7-HISTORY"
            if min((w.start for w in draft.materials.work_history), default="") > "2024" \
                    and history not in overrides and history not in draft.overridden_warnings:
                raise refused(errors.RuleViolation(history, "工作经历应覆盖近五年",
                                                   "Your work history should cover the last five years"))
            number = f"2026110108{len(self.state.applications) + 1:06d}"
            view = views.ApplicationView(
                application_id=f"app-{len(self.state.applications) + 1}", application_number=number,
                applicant_id=owner, applicant_name=draft.applicant_name, document_number_masked="",
                certificate=draft.certificate, authority_name=draft.authority_name, point=PLAN.points[0],
                materials=draft.materials, editable_groups=["CERTIFICATE", "CONTACT", "MATERIALS"],
                status=views.StatusView(status="SUBMITTED", label_zh="信息提交成功，等待现场确认",
                                        meaning_zh="请按时到确认点现场确认", next_step_zh="下载并打印申请表"),
                version=1)
            self.state.applications[view.application_id] = (owner, view)
            self.state.submissions[idempotency_key] = view.application_id
            draft.submitted, draft.application_number = True, number
        return wiz.SubmitApplicationResponse(application_id=view.application_id,
                                             application_number=view.application_number,
                                             applicant_name=view.applicant_name, application=view,
                                             email=view.materials.email)

    # --- after submission

    def _own(self, application_id: str, md: Metadata) -> views.ApplicationView:
        owner, view = self.state.applications.get(application_id, ("", None))
        if view is None or owner != _who(md):
            raise refused(errors.NotFound("NOT_FOUND", "未找到这份申请", "Application not found"))
        return view

    async def list_mine(self, md: Metadata) -> list[views.ApplicationView]:
        return [v for owner, v in self.state.applications.values() if owner == _who(md)]

    async def get_mine(self, application_id: str, md: Metadata) -> views.ApplicationView:
        return self._own(application_id, md)

    async def edit(self, request: apps.EditApplicationRequest, md: Metadata) -> apps.EditApplicationResponse:
        guard_text(request)
        view = self._own(request.application_id, md)
        if request.WhichOneof("section") == "email" and "@" not in request.email:
            raise _problem("email", "电子邮箱格式不对", "R-APP-3")
        self.state.edits.append(request)
        return apps.EditApplicationResponse(application=view)

    async def correct_authority(self, application_id: str, authority_code: str, point_code: str,
                                expected_version: int, md: Metadata) -> views.ApplicationView:
        return self._own(application_id, md)

    async def resubmit_materials(self, application_id: str, expected_version: int,
                                 md: Metadata) -> views.ApplicationView:
        """Issue 19 item 19, as the service: only in MATERIALS_INCOMPLETE, at the current version."""
        view = self._own(application_id, md)
        if view.status.status != status_pb2.MATERIALS_INCOMPLETE:
            raise refused(errors.RuleViolation("R-APP-2", "只有“材料不全”的申请才能告知确认点已补齐材料",
                                               "Only an application with missing materials can say they are ready"))
        if expected_version and expected_version != view.version:
            raise refused(errors.Conflict("CONFLICT", "申请刚被修改过，请刷新后再试", "Changed meanwhile; reload"))
        view.status.materials_resubmitted_at.FromSeconds(1_770_200_000)
        view.version += 1
        return view

    async def messages(self, application_id: str, md: Metadata) -> apps.ListMessagesResponse:
        self._own(application_id, md)
        await _give_way(self.state)
        return apps.ListMessagesResponse(
            messages=[views.Message(message_id="m1", author_org_name="海淀区第一确认点", body="请带上证书原件")],
            point_notes=[apps.PointNotes(point_name="海淀区第一确认点", notes="请于工作日 9:00 前到达")])

    async def access(self, application_id: str, md: Metadata) -> apps.ListApplicationAccessResponse:
        self._own(application_id, md)
        await _give_way(self.state)
        if self.state.access is None:
            raise grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata())
        return apps.ListApplicationAccessResponse(entries=self.state.access)


class Documents:
    """The documents client: the form, in chunks, for its owner only."""

    def __init__(self, state: State) -> None:
        self.state = state

    async def printout_status(self, application_id: str, md: Metadata) -> docs.GetPrintoutStatusResponse | None:
        await _give_way(self.state)
        return self.state.printouts.get(application_id)

    async def open_form(self, application_id: str, fmt: str, md: Metadata) -> FileDownload:
        owner, view = self.state.applications.get(application_id, ("", None))
        if view is None or owner != _who(md):
            raise refused(errors.NotFound("NOT_FOUND", "未找到这份申请", "Application not found"))
        ext = "docx" if fmt == "docx" else "pdf"
        body = FAKE_PDF + view.application_number.encode()

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 8):
                yield body[start:start + 8]

        return FileDownload(docs.FileMetadata(
            content_type="application/pdf" if ext == "pdf" else "application/vnd.openxmlformats-officedocument"
            ".wordprocessingml.document", filename=f"form-{view.application_number}.{ext}", size=len(body),
            display_filename=f"教师资格定期注册申请表-{view.application_number}.{ext}"), chunks())


class Inbox:
    """The inbox client: one message, read or not."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    async def list_messages(self, md: Metadata, *, page_size: int = 20, page_token: str = "",
                            unread_only: bool = False, language: str = "zh") -> note.ListInboxMessagesResponse:
        title, body = {"en": ("Application submitted", "Your application was submitted.\nNumber: 9\n\nPrint the form."),
                       }.get(language, ("申请已提交", "您的申请已提交。\n报名号：9\n\n请打印申请表。"))
        message = note.InboxMessage(message_id="n1", title=title, body=body,
                                    created_at="2026-03-01T09:00:00+08:00", read="n1" in self.read)
        return note.ListInboxMessagesResponse(messages=[message], unread=0 if "n1" in self.read else 1)

    async def count_unread(self, md: Metadata) -> int:
        return 0 if "n1" in self.read else 1

    async def mark_read(self, message_id: str, md: Metadata) -> int:
        self.read.add(message_id)
        return 0


@asynccontextmanager
async def gateway(state: State) -> AsyncIterator[httpx.AsyncClient]:
    """The real gateway app with every service client it uses here replaced by the fakes above."""
    nowhere = grpc.aio.insecure_channel("127.0.0.1:9")  # no service listens: every call goes to the fakes
    settings = GatewaySettings(environment="test", secret_key="test-secret-0123456789abcdef-wizard")
    app = create_app(settings, Channels(nowhere, nowhere, nowhere, nowhere))
    identity, applications, documents, inbox = Identity(), Applications(state), Documents(state), Inbox()
    # The application client is not overridden but given as the started app's own (below), as the
    # wizard's JSON writes are answered by api.shortcut, which leaves overridden dependencies to FastAPI.
    for dependency, fake in ((deps.identity_client, identity), (deps.documents_client, documents),
                             (deps.inbox_client, inbox), (deps.slot_client, state.slots)):
        app.dependency_overrides[dependency] = _returning(fake)
    app.dependency_overrides[deps.workflow_rules] = lambda: WorkflowRules.of(state.rules)
    try:
        async with app.router.lifespan_context(app):
            # The session middleware and the home page's key dates (web shell) are no routes, so no
            # dependency reaches them: they ask the started app's clients, which become the fakes too.
            app.state.clients = replace(app.state.clients, identity=identity, application=applications)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
                yield client
    finally:
        await nowhere.close()


def _answer(draft: wiz.Draft, *, with_photo: bool = False) -> wiz.DraftResponse:
    """The draft as the service answers it: the registry photo only when asked for."""
    answer = wiz.DraftResponse(draft=draft)
    if not with_photo:
        answer.draft.registry_photo = b""
    return answer


def _returning(client: Any) -> Any:
    async def dependency() -> Any:  # async: a plain def would run in a worker thread
        return client
    return dependency


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def sign_in(client: httpx.AsyncClient, token: str = "token-a") -> None:
    client.cookies.set("__Host-session", token)
