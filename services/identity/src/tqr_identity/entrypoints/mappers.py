"""Between protobuf messages and the service layer's values: the only place that knows *_pb2.

The closed lists (role, gender, document type, review status) are protobuf enums on the wire and
codes in the service layer; an enum value's name is the code with the enum's prefix
(``GENDER_MALE`` ↔ ``Gender.MALE``), so the mapping is by name. An unset value (UNSPECIFIED)
becomes ``""``, which the service layer refuses where a value is required, as it did the empty
string before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import audit_log as shared_audit
from servicekit import vocabulary
from servicekit.masking import mask_mobile
from servicekit.rpc.actor import actor_of
from tqr.common.v1 import audit_pb2, vocabulary_pb2
from tqr.identity.v1 import events_pb2, identity_pb2

from tqr_identity.domain.documents import DocumentType, Gender
from tqr_identity.service_layer import audit_log
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.attachments import Upload
from tqr_identity.service_layer.codes import CodeSent
from tqr_identity.service_layer.model import CaseStatus, ManualReview, StaffAccount, SupportRequest
from tqr_identity.service_layer.profile import AccountDetails
from tqr_identity.service_layer.staff_admin import SetupCode


def caller(context: grpc.aio.ServicerContext) -> Caller:
    actor = actor_of(context)
    return Caller(actor.subject_id, role_code(actor.role), actor.organisation_code)


def code_purpose(value: events_pb2.CodePurpose.ValueType) -> str:
    return vocabulary.code(events_pb2.CodePurpose, value)


def code_channel(value: events_pb2.CodeChannel.ValueType) -> str:
    return vocabulary.code(events_pb2.CodeChannel, value)


def role_code(value: vocabulary_pb2.Role.ValueType) -> str:
    return vocabulary.code(vocabulary_pb2.Role, value)


def gender_code(value: vocabulary_pb2.Gender.ValueType) -> str:
    return vocabulary.code(vocabulary_pb2.Gender, value)


def document_type_code(value: vocabulary_pb2.DocumentType.ValueType) -> str:
    return vocabulary.code(vocabulary_pb2.DocumentType, value)


def review_status_code(value: identity_pb2.ReviewStatus.ValueType) -> str:
    return vocabulary.code(identity_pb2.ReviewStatus, value)


def roles(codes: Iterable[str]) -> list[vocabulary_pb2.Role.ValueType]:
    return [vocabulary.value(vocabulary_pb2.Role, code) for code in codes]


def gender(value: Gender | str | None) -> vocabulary_pb2.Gender.ValueType:
    return vocabulary.value(vocabulary_pb2.Gender, value or "")


def document_type(value: DocumentType | str) -> vocabulary_pb2.DocumentType.ValueType:
    return vocabulary.value(vocabulary_pb2.DocumentType, value)


def review_status(value: CaseStatus) -> identity_pb2.ReviewStatus.ValueType:
    return vocabulary.value(identity_pb2.ReviewStatus, value)


def iso(instant: datetime | None) -> str:
    return instant.isoformat() if instant else ""


def uploads(photos: Iterable[identity_pb2.UploadedPhoto]) -> list[Upload]:
    return [Upload(p.file_name, p.content) for p in photos]


def code_sent(sent: CodeSent) -> identity_pb2.RequestVerificationCodeResponse:
    return identity_pb2.RequestVerificationCodeResponse(
        destination_hint=sent.destination_hint, expires_in_seconds=sent.expires_in_seconds,
        resend_after_seconds=sent.resend_after_seconds,
    )


def account_view(details: AccountDetails) -> identity_pb2.AccountView:
    a = details.account
    return identity_pb2.AccountView(
        account_id=a.id, document_type=document_type(a.document_type), document_type_label_zh=a.document_type.label_zh,
        masked_document_number=a.masked_document_number, name=a.name, email=a.email, masked_mobile=a.masked_mobile,
        gender=gender(a.gender), birth_date=a.birth_date.isoformat() if a.birth_date else "",
        ethnicity=a.ethnicity,
        document_valid_from=a.document_valid_from.isoformat() if a.document_valid_from else "",
        document_valid_until=a.document_valid_until, real_name_status=a.real_name_status.value,
        agreement_version=a.agreement_version,
        pending_review_due_date=details.pending_review_due.isoformat() if details.pending_review_due else "",
        may_edit_gender_and_birth_date=a.supplies_gender_and_birth_date, created_at=iso(a.created_at),
        document_number=a.document_number,
    )


def review_case(case: ManualReview) -> identity_pb2.ManualReviewCase:
    return identity_pb2.ManualReviewCase(
        case_id=case.id, account_id=case.account_id, name=case.name, document_type=document_type(case.document_type),
        masked_document_number=case.masked_document_number, status=review_status(case.status),
        submitted_at=iso(case.submitted_at), due_date=case.due_date.isoformat(), decided_at=iso(case.decided_at),
        decision_reason=case.decision_reason, photo_ids=list(case.photo_ids), note=case.note,
    )


def support_request(request: SupportRequest) -> identity_pb2.SupportRequest:
    return identity_pb2.SupportRequest(
        request_id=request.id, account_id=request.account_id, name=request.name,
        masked_document_number=request.masked_document_number, kind=request.kind.value,
        status=review_status(request.status), requested_name=request.requested_name,
        requested_gender=gender(request.requested_gender), requested_email=request.requested_email,
        requested_masked_mobile=mask_mobile(request.requested_mobile) if request.requested_mobile else "",
        explanation=request.explanation, created_at=iso(request.created_at), decided_at=iso(request.decided_at),
        decision_reason=request.decision_reason, photo_ids=list(request.photo_ids),
        without_sign_in=request.without_sign_in, claimed_name=request.claimed_name,
    )


def staff_member(staff: StaffAccount) -> identity_pb2.StaffMember:
    return identity_pb2.StaffMember(
        staff_id=staff.id, username=staff.username, display_name=staff.display_name,
        role=vocabulary.value(vocabulary_pb2.Role, staff.role), organisation_code=staff.organisation_code,
        active=staff.active, must_enrol=staff.must_enrol, recovery_codes_left=len(staff.recovery_code_hashes))


def setup_code(issued: SetupCode) -> identity_pb2.StaffSetupCodeResponse:
    expires = issued.staff.setup_code_expires_at
    return identity_pb2.StaffSetupCodeResponse(staff=staff_member(issued.staff), setup_code=issued.code,
                                               setup_code_expires_at=expires.isoformat() if expires else "")


# --- the staff audit (R-STAFF-9) ------------------------------------------------------------------

def _instant(message: audit_pb2.AuditQuery, name: str) -> datetime | None:
    return shared_audit.instant_of(getattr(message, name), message.HasField(name), name)


def audit_query(request: audit_pb2.AuditQuery) -> audit_log.AuditQuery:
    return audit_log.AuditQuery(target=request.target, staff_id=request.staff_id, action=request.action,
                                since=_instant(request, "since"), until=_instant(request, "until"),
                                page_size=request.page_size, page_token=request.page_token)


def audit_page(rows: list[audit_log.AuditRow], token: str) -> audit_pb2.AuditPage:
    entries = []
    for row in rows:
        at = Timestamp()
        at.FromDatetime(row.at)
        entries.append(audit_pb2.AuditEntry(
            source="identity", entry_id=str(row.id), at=at, actor_id=row.staff_id,
            actor_role=vocabulary.value(vocabulary_pb2.Role, row.role), actor_organisation=row.organisation_code,
            action=row.action, target_type=row.target_kind, target_id=row.target_id, detail=row.detail,
            cursor=row.cursor))
    return audit_pb2.AuditPage(entries=entries, next_page_token=token)
