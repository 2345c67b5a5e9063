"""Domain and read-model values to protobuf messages (the only module with *_pb2 builders), and the
shared vocabulary's enums to the codes this service keeps (the only place that maps them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import vocabulary
from servicekit.masking import mask_document_number
from tqr.application.v1 import application_pb2 as ref_pb
from tqr.application.v1 import slots_pb2, status_pb2
from tqr.application.v1 import views_pb2 as v
from tqr.common.v1 import vocabulary_pb2

from tqr_application.domain import status as workflow
from tqr_application.domain.application import SUBMIT_ACTION, Decision
from tqr_application.domain.checklist import MATERIALS_CHECKLIST
from tqr_application.domain.plans import PointWindow, RegistrationPlan
from tqr_application.domain.reference import ConfirmationPoint
from tqr_application.domain.slots import SlotStatus
from tqr_application.domain.status import STATUS_INFO, ApplicationStatus, StatusAction
from tqr_application.domain.wizard import answers
from tqr_application.service_layer.context import aware
from tqr_application.service_layer.read_model import ApplicationDetails
from tqr_application.service_layer.slots import BookingView, SlotView

# This service spells gender as the certificate registry does ("M" / "F", "" when not recorded).
_GENDER_LETTERS = {vocabulary_pb2.GENDER_MALE: "M", vocabulary_pb2.GENDER_FEMALE: "F"}
_GENDERS = {letter: value for value, letter in _GENDER_LETTERS.items()}


def gender_letter(value: vocabulary_pb2.Gender.ValueType) -> str:
    return _GENDER_LETTERS.get(value, "")


def gender(letter: str) -> vocabulary_pb2.Gender.ValueType:
    return _GENDERS.get(letter, vocabulary_pb2.GENDER_UNSPECIFIED)


def document_type_code(value: vocabulary_pb2.DocumentType.ValueType) -> str:
    return vocabulary.code(vocabulary_pb2.DocumentType, value)


def document_type(code: str) -> vocabulary_pb2.DocumentType.ValueType:
    return vocabulary.value(vocabulary_pb2.DocumentType, code)


def role_code(value: vocabulary_pb2.Role.ValueType) -> str:
    return vocabulary.code(vocabulary_pb2.Role, value)


def ts(instant: datetime | None) -> Timestamp | None:
    if instant is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def from_ts(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


# The proto enums carry the domain's names (protos/tqr/application/v1/status.proto), so a value maps
# by name; UNSPECIFIED has no domain value and maps to None.
# The history's first line has no status before it ("") and the action SUBMIT, which no transition
# of the table takes.
def status_code(status: ApplicationStatus | str) -> status_pb2.ApplicationStatus.ValueType:
    if status == "":
        return status_pb2.APPLICATION_STATUS_UNSPECIFIED
    return status_pb2.ApplicationStatus.Value(ApplicationStatus(status).value)


def action_code(action: StatusAction | str) -> status_pb2.StatusAction.ValueType:
    if action == SUBMIT_ACTION:
        return status_pb2.SUBMIT
    return status_pb2.StatusAction.Value(StatusAction(action).value)


def status_from(code: int) -> ApplicationStatus | None:
    if code == status_pb2.APPLICATION_STATUS_UNSPECIFIED:
        return None
    return ApplicationStatus(status_pb2.ApplicationStatus.Name(code))  # type: ignore[arg-type]


def action_from(code: int) -> StatusAction | None:
    if code in (status_pb2.STATUS_ACTION_UNSPECIFIED, status_pb2.SUBMIT):
        return None
    return StatusAction(status_pb2.StatusAction.Name(code))  # type: ignore[arg-type]


def point_window(window: PointWindow | None, point: ConfirmationPoint | None, notes: str = "") -> v.PointWindow:
    out = v.PointWindow()
    if point is not None:
        out.point_code, out.point_name, out.address = point.code, point.name, point.address
        out.phone, out.scope, out.onsite_notes = point.phone, point.scope, notes
    if window is not None:
        out.point_code = window.point_code
        out.confirm_start.CopyFrom(ts(window.confirm_start))
        out.confirm_end.CopyFrom(ts(window.confirm_end))
    return out


def plan(record: RegistrationPlan, authority_name: str, points: dict[str, tuple[ConfirmationPoint, str]]) -> v.Plan:
    out = v.Plan(plan_id=record.plan_id, authority_code=record.authority_code, authority_name=authority_name,
                 name=record.title, online_start=ts(record.online_start), online_end=ts(record.online_end))
    for window in record.point_windows:
        point, notes = points.get(window.point_code, (None, ""))
        out.points.append(point_window(window, point, notes))
    return out


def certificate(data: Mapping[str, Any], names: dict[str, dict[str, str]], has_photo: bool) -> v.CertificateData:
    return v.CertificateData(
        certificate_number=data.get("certificate_number", ""), holder_name=data.get("holder_name", ""),
        certificate_type_code=data.get("certificate_type_code", ""), subject_code=data.get("subject_code", ""),
        issuing_body=data.get("issuing_body", ""), issue_date=data.get("issue_date", ""),
        locked=bool(data.get("locked")), has_photo=has_photo,
        certificate_type_name=names["certificate_types"].get(data.get("certificate_type_code", ""), ""),
        subject_name=names["subjects"].get(data.get("subject_code", ""), ""),
        gender=gender(data.get("gender", "")), birth_date=data.get("birth_date") or "",
    )


def materials(data: Mapping[str, Any]) -> v.Materials:
    return v.Materials(
        email=data.get("email", ""), school=data.get("school", ""), post=data.get("post", ""),
        employment_start=data.get("employment_start", ""),
        work_history=[v.WorkHistoryEntry(**w) for w in data.get("work_history", [])],
        annual_assessments=[v.AnnualAssessment(**a) for a in data.get("annual_assessments", [])],
        ethics_assessment=data.get("ethics_assessment", ""),
        continuing_education_hours=int(data.get("continuing_education_hours", 0)),
    )


def materials_of(data: answers.Materials) -> v.Materials:
    """The draft's typed materials straight into the reply (no stored-JSON dict in between)."""
    return v.Materials(
        email=data.email, school=data.school, post=data.post, employment_start=data.employment_start.isoformat(),
        work_history=[v.WorkHistoryEntry(start=w.start.isoformat(), end=w.end.isoformat() if w.end else "",
                                         school=w.school, post=w.post) for w in data.work_history],
        annual_assessments=[v.AnnualAssessment(year=a.year, result=a.result) for a in data.annual_assessments],
        ethics_assessment=data.ethics_assessment, continuing_education_hours=data.continuing_education_hours,
    )


def materials_dict(message: v.Materials) -> dict[str, Any]:
    return {
        "email": message.email, "school": message.school, "post": message.post,
        "employment_start": message.employment_start,
        "work_history": [{"start": w.start, "end": w.end, "school": w.school, "post": w.post}
                         for w in message.work_history],
        "annual_assessments": [{"year": a.year, "result": a.result} for a in message.annual_assessments],
        "ethics_assessment": message.ethics_assessment,
        "continuing_education_hours": message.continuing_education_hours,
    }


def status_view(status: ApplicationStatus, decision: Decision) -> v.StatusView:
    info = STATUS_INFO[status]
    out = v.StatusView(
        status=status_code(status), label_zh=info.label_zh, label_en=info.label_en, meaning_zh=info.meaning_zh,
        meaning_en=info.meaning_en, next_step_zh=info.next_step_zh, next_step_en=info.next_step_en,
        missing_materials=list(decision.missing_materials) if status is ApplicationStatus.MATERIALS_INCOMPLETE
        else [], reason=decision.reason,
    )
    if status is ApplicationStatus.MATERIALS_INCOMPLETE and decision.resubmitted_at is not None:
        out.materials_resubmitted_at.CopyFrom(ts(decision.resubmitted_at))
    return out


def application(d: ApplicationDetails) -> v.ApplicationView:
    r = d.record
    out = v.ApplicationView(
        application_id=r.id, application_number=r.application_number, applicant_id=r.applicant_id,
        applicant_name=r.applicant_name, document_number_masked=mask_document_number(r.document_number),
        status=status_view(r.status, r.decision), version=r.version,
        certificate=certificate(r.answers.certificate, d.names, d.photo is not None),
        authority_code=r.authority_code, plan_id=r.plan_id,
        point=point_window(d.window, d.point, d.point_notes),
        teaching_stage_code=r.answers.teaching_stage_code,
        teaching_subject_code=r.answers.teaching_subject_code,
        materials=materials(r.answers.materials), submitted_at=ts(r.submitted_at),
        editable_groups=sorted(g.value for g in d.editable), allowed_actions=[action_code(a) for a in d.actions],
        certificate_claimed_by_another=d.claimed_by_another,
        also_in_other_plans=[v.OtherPlanAuthority(authority_code=o.authority_code, authority_name=o.authority_name)
                             for o in d.other_plans],
    )
    if d.authority is not None:
        out.authority_name, out.authority_address = d.authority.name, d.authority.address
        out.authority_phone = d.authority.phone
    if d.online_end is not None:
        out.online_end.CopyFrom(ts(d.online_end))
    out.edit_revision, out.reference_version = r.edit_revision, d.reference_version
    if d.edit_until is not None:
        out.edit_until.CopyFrom(ts(d.edit_until))
    if d.slot is not None:
        out.slot.CopyFrom(slot_booking(d.slot))
    for h in d.history:
        out.history.append(v.StatusHistoryEntry(
            from_status=status_code(h.from_status), to_status=status_code(h.to_status), action=action_code(h.action),
            actor_role=h.actor_role,
            at=ts(h.at), reason=h.reason, missing_materials=list(h.missing_materials)))
    return out


def message(row: dict[str, Any]) -> v.Message:
    return v.Message(message_id=row["id"], application_id=row["application_id"], author_role=row["author_role"],
                     author_org_name=row["author_org_name"], body=row["body"], created_at=ts(aware(row["created_at"])))


def workflow_rules() -> ref_pb.GetWorkflowRulesResponse:
    """The rules as the domain enforces them: built from its transition table and code lists."""
    return ref_pb.GetWorkflowRulesResponse(
        statuses=[ref_pb.StatusLabel(status=status_code(s), label_zh=info.label_zh, label_en=info.label_en)
                  for s, info in STATUS_INFO.items()],
        actions=[ref_pb.ActionRule(
            action=action_code(a), label_zh=workflow.ACTION_LABELS[a][0], label_en=workflow.ACTION_LABELS[a][1],
            reason_required=a in workflow.REASON_REQUIRED, materials_required=a in workflow.MATERIALS_REQUIRED,
            from_statuses=[status_code(s) for s in workflow.from_statuses(a)],
            roles=sorted(r.value for r in workflow.roles_for(a)),
        ) for a in StatusAction],
        materials_checklist=[ref_pb.MaterialItem(code=m.code, name_zh=m.name_zh, name_en=m.name_en)
                             for m in MATERIALS_CHECKLIST],
        annual_assessment_results=list(answers.ANNUAL_RESULTS),
        ethics_assessment_results=list(answers.ETHICS_RESULTS),
        cycle_years=answers.CYCLE_YEARS,
        max_reason_length=workflow.MAX_REASON_LENGTH,
        max_material_length=workflow.MAX_MATERIAL_LENGTH,
    )


_SLOT_STATUSES = {SlotStatus.OPEN: slots_pb2.SLOT_STATUS_OPEN, SlotStatus.CANCELLED: slots_pb2.SLOT_STATUS_CANCELLED}


def appointment_slot(view: SlotView) -> slots_pb2.AppointmentSlot:
    slot = view.slot
    start, end = slot.local_times()
    return slots_pb2.AppointmentSlot(
        slot_id=slot.slot_id, point_code=slot.point_code, date=slot.local_date(), start_time=start, end_time=end,
        starts_at=ts(slot.starts_at), ends_at=ts(slot.ends_at), capacity=slot.capacity, booked=slot.booked,
        status=_SLOT_STATUSES[slot.status], cutoff_at=ts(view.cutoff_at), bookable=view.bookable,
        cancel_reason=slot.cancel_reason,
    )


def slot_booking(view: BookingView) -> slots_pb2.SlotBooking:
    return slots_pb2.SlotBooking(slot=appointment_slot(view.slot), booked_at=ts(view.booked_at),
                                 needs_rebooking=view.needs_rebooking, can_rebook=view.can_rebook)
