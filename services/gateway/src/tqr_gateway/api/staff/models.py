"""Request and response models of the staff API (/api/v1/staff/...), so the OpenAPI document is complete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from tqr.application.v1 import views_pb2 as views
from tqr.identity.v1 import identity_pb2 as ipb

from tqr_gateway import vocabulary
from tqr_gateway.api.fields import ExpectedVersion, TypedNumber
from tqr_gateway.clients.workflow_rules import action_name, action_names, status_name
from tqr_gateway.flows.printout_versions import PrintoutVersions
from tqr_gateway.flows.timestamps import instant


class ApplicationSummaryOut(BaseModel):
    application_id: str
    application_number: str
    applicant_name: str
    document_number_masked: str
    status: str
    status_label: str
    authority_code: str
    point_code: str
    submitted_at: datetime | None
    certificate_claimed_by_another: bool = Field(
        False, description="R-WIZ-10: another applicant's live application gives the same certificate number "
                           "(not on record); the confirmation point decides with the paper certificate")
    also_in_other_plan: bool = Field(
        False, description="R-STAFF-8: the certificate number is also in a live application of another plan")

    @classmethod
    def of(cls, s: views.ApplicationSummary) -> ApplicationSummaryOut:
        return cls(application_id=s.application_id, application_number=s.application_number,
                   applicant_name=s.applicant_name, document_number_masked=s.document_number_masked,
                   status=status_name(s.status), status_label=s.status_label, authority_code=s.authority_code,
                   point_code=s.point_code, submitted_at=instant(s.submitted_at),
                   certificate_claimed_by_another=s.certificate_claimed_by_another,
                   also_in_other_plan=s.also_in_other_plan)


class PrintoutOut(BaseModel):
    current_version: int = Field(description="R-APP-8: the form's version now, printed on it as 申请表版本")
    last_downloaded_version: int = Field(description="The version the applicant last downloaded; 0: never")
    last_downloaded_at: datetime | None
    out_of_date: bool = Field(description="The applicant's last download is older than the data: "
                                          "a paper form of that version is out of date")

    @classmethod
    def of(cls, versions: PrintoutVersions) -> PrintoutOut:
        return cls(current_version=versions.current, last_downloaded_version=versions.last_downloaded,
                   last_downloaded_at=versions.last_downloaded_at, out_of_date=versions.out_of_date)


class FindIn(BaseModel):
    query: str = Field(description="Application number, identity document number or the scanned form code (TQR1.…)")


class FindOut(BaseModel):
    applications: list[ApplicationSummaryOut]
    kind: str = Field(description="NUMBER or FORM_CODE")
    stale_printout: bool = Field(description="A genuine form code printed before the applicant's last change")


class SearchIn(BaseModel):
    status: str = ""
    point_code: str = ""
    application_number: TypedNumber = ""
    certificate_conflicts_only: bool = Field(
        False, description="R-WIZ-10: only applications whose certificate number another applicant also claims")
    other_plan_only: bool = Field(
        False, description="R-STAFF-8: only applications whose certificate number is also live in another plan")
    applicant_name: str = Field("", description="Exact name; sent in the body because it is personal data")
    page_size: int = Field(20, ge=1, le=100)
    page_token: str = ""


class SearchOut(BaseModel):
    applications: list[ApplicationSummaryOut]
    next_page_token: str


class HistoryOut(BaseModel):
    from_status: str
    to_status: str
    action: str
    actor_role: str
    at: datetime | None
    reason: str
    missing_materials: list[str]


class OtherPlanOut(BaseModel):
    authority_code: str
    authority_name: str


class SlotOut(BaseModel):
    date: str = Field(description="Beijing time, as the point published it: YYYY-MM-DD")
    start_time: str = Field(description="HH:MM")
    end_time: str = Field(description="HH:MM")
    needs_rebooking: bool = Field(description="R-SLOT-3: the point cancelled the slot; the applicant books another")


class ApplicationOut(BaseModel):
    application_id: str
    application_number: str
    applicant_name: str
    document_number_masked: str
    status: str
    status_label_zh: str
    status_label_en: str
    missing_materials: list[str]
    materials_resubmitted_at: datetime | None = Field(
        default=None, description="When the applicant said the missing materials are ready (issue 19 item 19)")
    version: int
    authority_code: str
    authority_name: str
    point_code: str
    point_name: str
    email: str
    certificate_number: str
    submitted_at: datetime | None
    allowed_actions: list[str]
    history: list[HistoryOut]
    certificate_claimed_by_another: bool = Field(False, description="R-WIZ-10: see ApplicationSummaryOut")
    also_in_other_plans: list[OtherPlanOut] = Field(
        default_factory=list, description="R-STAFF-8: the authorities of other plans with a live application for "
                                          "this certificate number (nothing of those applications)")
    slot: SlotOut | None = Field(None, description="R-SLOT-2: the appointment the applicant booked at the point "
                                                 "(null: none booked, or the point publishes no slots)")

    @classmethod
    def of(cls, v: views.ApplicationView) -> ApplicationOut:
        return cls(
            application_id=v.application_id, application_number=v.application_number,
            applicant_name=v.applicant_name, document_number_masked=v.document_number_masked,
            status=status_name(v.status.status), status_label_zh=v.status.label_zh, status_label_en=v.status.label_en,
            missing_materials=list(v.status.missing_materials), version=v.version,
            materials_resubmitted_at=instant(v.status.materials_resubmitted_at),
            authority_code=v.authority_code, authority_name=v.authority_name, point_code=v.point.point_code,
            point_name=v.point.point_name, email=v.materials.email,
            certificate_number=v.certificate.certificate_number, submitted_at=instant(v.submitted_at),
            allowed_actions=action_names(v.allowed_actions),
            certificate_claimed_by_another=v.certificate_claimed_by_another,
            also_in_other_plans=[OtherPlanOut(authority_code=o.authority_code, authority_name=o.authority_name)
                                 for o in v.also_in_other_plans],
            slot=SlotOut(date=v.slot.slot.date, start_time=v.slot.slot.start_time, end_time=v.slot.slot.end_time,
                         needs_rebooking=v.slot.needs_rebooking) if v.HasField("slot") else None,
            history=[HistoryOut(from_status=status_name(h.from_status), to_status=status_name(h.to_status),
                                action=action_name(h.action),
                                actor_role=h.actor_role, at=instant(h.at), reason=h.reason,
                                missing_materials=list(h.missing_materials)) for h in v.history])


class ActionIn(BaseModel):
    action: str = Field(description="CONFIRM_ON_SITE, MARK_MATERIALS_INCOMPLETE, MARK_WRONG_AUTHORITY, "
                                    "MARK_NOT_ELIGIBLE, APPROVE_REGISTERED, DEFER or REJECT")
    reason: str = Field("", description="Required for MARK_WRONG_AUTHORITY, MARK_NOT_ELIGIBLE, DEFER, REJECT")
    missing_materials: list[str] = Field(default_factory=list, description="Required for MARK_MATERIALS_INCOMPLETE")
    expected_version: ExpectedVersion = 0


class MessageIn(BaseModel):
    body: str


class MessageOut(BaseModel):
    message_id: str
    application_id: str
    author_role: str
    author_org_name: str
    body: str
    created_at: datetime | None


class EmailIn(BaseModel):
    email: str
    reason: str


class PointWindowIO(BaseModel):
    point_code: str
    point_name: str = ""
    confirm_start: datetime
    confirm_end: datetime


class PointWindowOut(BaseModel):
    point_code: str
    point_name: str
    confirm_start: datetime | None
    confirm_end: datetime | None


class PlanIn(BaseModel):
    name: str
    online_start: datetime = Field(description="With an offset; a time without one is read as Asia/Shanghai")
    online_end: datetime
    points: list[PointWindowIO] = Field(default_factory=list)


class PlanOut(BaseModel):
    plan_id: str
    authority_code: str
    authority_name: str
    name: str
    online_start: datetime | None
    online_end: datetime | None
    points: list[PointWindowOut]

    @classmethod
    def of(cls, p: views.Plan) -> PlanOut:
        return cls(plan_id=p.plan_id, authority_code=p.authority_code, authority_name=p.authority_name,
                   name=p.name, online_start=instant(p.online_start), online_end=instant(p.online_end),
                   points=[PointWindowOut(point_code=w.point_code, point_name=w.point_name,
                                          confirm_start=instant(w.confirm_start),
                                          confirm_end=instant(w.confirm_end)) for w in p.points])


class NotesIn(BaseModel):
    notes: str


class MaterialItemIO(BaseModel):
    code: str = Field("", description="Kept when given; made from the item's place when empty")
    name_zh: str = Field(description="What the applicant reads; at most 100 characters")
    name_en: str = ""


class MaterialsChecklistIn(BaseModel):
    items: list[MaterialItemIO] = Field(description="In order, at most 30; none: back to the default checklist")


class MaterialsChecklistOut(BaseModel):
    authority_code: str
    customised: bool = Field(description="False: the default checklist")
    items: list[MaterialItemIO]

    @classmethod
    def of(cls, found: Any) -> MaterialsChecklistOut:
        return cls(authority_code=found.authority_code, customised=found.customised,
                   items=[MaterialItemIO(code=i.code, name_zh=i.name_zh, name_en=i.name_en) for i in found.items])


class DecisionIn(BaseModel):
    decision: str = Field(description="APPROVED or REJECTED")
    reason: str = Field("", description="Required for REJECTED; the applicant reads it")


class ReviewCaseOut(BaseModel):
    case_id: str
    name: str
    document_type: str
    masked_document_number: str
    status: str
    submitted_at: str
    due_date: str
    decided_at: str
    decision_reason: str
    note: str
    photo_urls: list[str]
    escalated_at: str = Field("", description="Set once the case passed its due date (R-STAFF-10)")

    @classmethod
    def of(cls, c: ipb.ManualReviewCase) -> ReviewCaseOut:
        return cls(case_id=c.case_id, name=c.name, document_type=vocabulary.document_type_code(c.document_type),
                   masked_document_number=c.masked_document_number, status=vocabulary.review_status_code(c.status),
                   submitted_at=c.submitted_at,
                   due_date=c.due_date, decided_at=c.decided_at, decision_reason=c.decision_reason, note=c.note,
                   photo_urls=[f"/api/v1/staff/photos/{p}" for p in c.photo_ids], escalated_at=c.escalated_at)


class SupportRequestOut(BaseModel):
    request_id: str
    name: str
    masked_document_number: str
    kind: str
    status: str
    requested_name: str
    requested_gender: str
    requested_email: str
    requested_masked_mobile: str
    explanation: str
    created_at: str
    decided_at: str
    decision_reason: str
    photo_urls: list[str]

    @classmethod
    def of(cls, r: ipb.SupportRequest) -> SupportRequestOut:
        return cls(request_id=r.request_id, name=r.name, masked_document_number=r.masked_document_number,
                   kind=r.kind, status=vocabulary.review_status_code(r.status), requested_name=r.requested_name,
                   requested_gender=vocabulary.gender_code(r.requested_gender), requested_email=r.requested_email,
                   requested_masked_mobile=r.requested_masked_mobile, explanation=r.explanation,
                   created_at=r.created_at, decided_at=r.decided_at, decision_reason=r.decision_reason,
                   photo_urls=[f"/api/v1/staff/photos/{p}" for p in r.photo_ids])


class ReviewQueueOut(BaseModel):
    cases: list[ReviewCaseOut]
    total: int


class SupportQueueOut(BaseModel):
    requests: list[SupportRequestOut]
    total: int


# --- R-STAFF-6: bulk decisions and work claims ------------------------------------------------------

class BulkFilterIn(BaseModel):
    """The filters of /applications/search: every application they select in the caller's scope."""

    status: str = ""
    point_code: str = ""
    application_number: TypedNumber = ""
    applicant_name: str = ""
    certificate_conflicts_only: bool = False
    other_plan_only: bool = False


class BulkIn(BaseModel):
    action: str = Field(description="A staff action the caller's role may take (GetWorkflowRules)")
    application_ids: list[str] = Field(default_factory=list, max_length=500,
                                       description="The applications; or give `filter` instead")
    filter: BulkFilterIn | None = Field(None, description="Every application the list's filter selects (at most 500)")
    reason: str = Field("", description="Where the workflow rules need one; every applicant reads it")
    missing_materials: list[str] = Field(default_factory=list, description="For MARK_MATERIALS_INCOMPLETE")
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
                                 description="Send the same key to repeat a request safely: the stored results "
                                             "come back and nothing is decided twice")


class BulkItemOut(BaseModel):
    application_id: str
    application_number: str
    ok: bool
    code: str = Field(description="The refusing rule (R-APP-2, R-STAFF-4, R-STAFF-6…); empty when ok")
    message_zh: str
    message_en: str
    status: str


class BulkOut(BaseModel):
    results: list[BulkItemOut]
    succeeded: int
    refused: int
    replayed: bool = Field(description="True: the stored results of an earlier request with this key")


class ClaimOut(BaseModel):
    application_id: str
    staff_name: str
    mine: bool
    expires_at: datetime | None


class ReleasedOut(BaseModel):
    released: bool


class DocumentNumberOut(BaseModel):
    document_number: str = Field(description="R-STAFF-2: in full, for the point's staff to compare with the "
                                             "document on site; the reveal is audited")
