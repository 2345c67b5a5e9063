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
from servicekit import vocabulary
from servicekit.masking import mask_mobile
from servicekit.rpc.actor import actor_of
from tqr.common.v1 import vocabulary_pb2
from tqr.identity.v1 import events_pb2, identity_pb2

from tqr_identity.domain.documents import DocumentType, Gender
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.attachments import Upload
from tqr_identity.service_layer.codes import CodeSent
from tqr_identity.service_layer.model import CaseStatus, ManualReview, StaffAccount, SupportRequest
from tqr_identity.service_layer.profile import AccountDetails
from tqr_identity.service_layer.staff_admin import SetupCode


def caller(context: grpc.aio.ServicerContext) -> Caller:
    actor = actor_of(context)
    return Caller(actor.subject_id, role_code(actor.role), actor.organisation_code)


def enum_name(value: int, descriptor: object, prefix: str) -> str:
    """``CODE_PURPOSE_REGISTER`` → ``REGISTER``; UNSPECIFIED → ``""``."""
    name: str = descriptor.Name(value)  # type: ignore[attr-defined]
    short = name.removeprefix(prefix)
    return "" if short == "UNSPECIFIED" else short


def code_purpose(value: int) -> str:
    return enum_name(value, events_pb2.CodePurpose, "CODE_PURPOSE_")


def code_channel(value: int) -> str:
    return enum_name(value, events_pb2.CodeChannel, "CODE_CHANNEL_")


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
        escalated_at=iso(case.escalated_at),
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
