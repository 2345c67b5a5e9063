"""Domain and read-model values to protobuf messages (the only module with *_pb2 builders), and the
shared vocabulary's enums to the codes this service keeps (the only place that maps them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import vocabulary
from servicekit.masking import mask_document_number
from tqr.application.v1 import views_pb2 as v
from tqr.common.v1 import vocabulary_pb2

from tqr_application.domain.application import Decision
from tqr_application.domain.plans import PointWindow, RegistrationPlan
from tqr_application.domain.reference import ConfirmationPoint
from tqr_application.domain.status import STATUS_INFO, ApplicationStatus
from tqr_application.service_layer.context import aware
from tqr_application.service_layer.read_model import ApplicationDetails

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
    return v.StatusView(
        status=status.value, label_zh=info.label_zh, label_en=info.label_en, meaning_zh=info.meaning_zh,
        meaning_en=info.meaning_en, next_step_zh=info.next_step_zh, next_step_en=info.next_step_en,
        missing_materials=list(decision.missing_materials) if status is ApplicationStatus.MATERIALS_INCOMPLETE
        else [], reason=decision.reason,
    )


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
        editable_groups=sorted(g.value for g in d.editable), allowed_actions=[a.value for a in d.actions],
        certificate_claimed_by_another=d.claimed_by_another,
    )
    if d.authority is not None:
        out.authority_name, out.authority_address = d.authority.name, d.authority.address
        out.authority_phone = d.authority.phone
    if d.online_end is not None:
        out.online_end.CopyFrom(ts(d.online_end))
    for h in d.history:
        out.history.append(v.StatusHistoryEntry(
            from_status=h.from_status, to_status=h.to_status, action=h.action, actor_role=h.actor_role,
            at=ts(h.at), reason=h.reason, missing_materials=list(h.missing_materials)))
    return out


def message(row: dict[str, Any]) -> v.Message:
    return v.Message(message_id=row["id"], application_id=row["application_id"], author_role=row["author_role"],
                     author_org_name=row["author_org_name"], body=row["body"], created_at=ts(aware(row["created_at"])))
