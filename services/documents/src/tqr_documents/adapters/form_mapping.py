"""The application service's form data (``GetApplicationForFormResponse``) as the printable form.

Values that the form must print as dates are parsed here; a submitted application always has them,
so a missing one is a refusal with the rule id (nothing half-filled is ever printed).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from servicekit import vocabulary
from servicekit.errors import RuleViolation
from tqr.application.v1 import form_pb2
from tqr.common.v1 import vocabulary_pb2

from tqr_documents.domain.form import (
    AnnualAssessment,
    ApplicationForm,
    CertificateInfo,
    ConfirmationArrangement,
    CurrentPost,
    WorkHistoryEntry,
)
from tqr_documents.service_layer.ports import FormSnapshot

# How the paper form prints gender; the value comes from the shared vocabulary enum.
GENDER_LABELS = {vocabulary_pb2.GENDER_MALE: "男", vocabulary_pb2.GENDER_FEMALE: "女"}
# Field names the form cannot do without, as the applicant reads them in the refusal.
_FIELD_LABELS = {
    "birth_date": ("出生日期", "date of birth"),
    "issue_date": ("证书颁发日期", "certificate issue date"),
    "employment_start": ("聘用起始时间", "employment start"),
    "confirm_start": ("现场确认时间", "confirmation window"),
    "confirm_end": ("现场确认时间", "confirmation window"),
    "submitted_at": ("提交时间", "submission time"),
}


def snapshot_of(r: form_pb2.GetApplicationForFormResponse) -> FormSnapshot:
    form = ApplicationForm(
        application_number=r.application_number,
        applicant_name=r.applicant_name,
        gender=GENDER_LABELS.get(r.gender, ""),
        ethnicity=r.ethnicity,
        birth_date=_date(r.birth_date, "birth_date"),
        document_type=r.document_type_label or vocabulary.code(vocabulary_pb2.DocumentType, r.document_type),
        document_number=r.document_number,
        mobile_masked=r.mobile_masked,
        email=r.email,
        certificate=CertificateInfo(
            number=r.certificate_number,
            type_name=r.certificate_type_name,
            subject=r.certificate_subject_name or "无",
            issuing_body=r.issuing_body,
            issue_date=_date(r.issue_date, "issue_date"),
        ),
        arrangement=ConfirmationArrangement(
            authority_name=r.authority_name,
            point_name=r.point_name,
            point_address=r.point_address,
            window_start=_instant(r, "confirm_start"),
            window_end=_instant(r, "confirm_end"),
            **_appointment(r),
        ),
        current_post=CurrentPost(
            school=r.school,
            post=r.post,
            teaching_stage=r.teaching_stage_name,
            subject=r.teaching_subject_name,
            employment_start=_date(r.employment_start, "employment_start"),
        ),
        work_history=tuple(
            WorkHistoryEntry(
                start=_date(w.start, "employment_start"),
                end=date.fromisoformat(w.end) if w.end else None,
                school=w.school,
                post=w.post,
            )
            for w in r.work_history
        ),
        annual_assessments=tuple(AnnualAssessment(a.year, a.result) for a in r.annual_assessments),
        ethics_assessment=r.ethics_assessment,
        continuing_education_hours=max(0, r.continuing_education_hours),
        submitted_at=_instant(r, "submitted_at"),
        status_label=r.status_label,
        photo=bytes(r.photo) or None,
    )
    return FormSnapshot(
        application_id=r.application_id, applicant_id=r.applicant_id, version=r.version, form=form
    )


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise _incomplete(field) from None


def _instant(r: form_pb2.GetApplicationForFormResponse, field: str) -> datetime:
    if not r.HasField(field):  # type: ignore[arg-type]
        raise _incomplete(field)
    return getattr(r, field).ToDatetime(tzinfo=UTC)  # type: ignore[no-any-return]


def _incomplete(field: str) -> RuleViolation:
    zh, en = _FIELD_LABELS[field]
    return RuleViolation(
        "R-APP-5",
        f"申请信息缺少{zh}，暂时无法生成申请表，请补充后再下载",
        f"The application lacks the {en}; the form cannot be produced until it is completed",
    )


def _appointment(r: form_pb2.GetApplicationForFormResponse) -> dict[str, datetime]:
    """R-SLOT-2: the booked slot, unless the point cancelled it (then nothing is printed)."""
    if not r.HasField("slot") or r.slot.needs_rebooking or not r.slot.slot.HasField("starts_at"):
        return {}
    return {"appointment_start": r.slot.slot.starts_at.ToDatetime(tzinfo=UTC),
            "appointment_end": r.slot.slot.ends_at.ToDatetime(tzinfo=UTC)}
