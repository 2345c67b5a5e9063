"""Typed calls to the identity service for identity reviewers (R-STAFF-3): the manual-review queue
(R-ID-9), the support-request queue (R-ID-10, R-ID-11) and the photos attached to them; and for
administrators, staff administration (R-STAFF-5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from tqr.identity.v1 import identity_pb2 as pb
from tqr.identity.v1 import identity_pb2_grpc as rpc

from tqr_gateway import vocabulary

Metadata = Sequence[tuple[str, str | bytes]]
DECISIONS = ("APPROVED", "REJECTED")
HASHING_DEADLINE = 10.0  # seconds: a new account's unusable password is hashed with argon2


@dataclass(frozen=True)
class CasePhoto:
    content_type: str
    content: bytes


class StaffIdentityClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = rpc.IdentityServiceStub(channel)

    async def manual_reviews(self, *, metadata: Metadata, status: str = "PENDING", page: int = 0,
                             page_size: int = 20) -> tuple[list[pb.ManualReviewCase], int]:
        reply = await self._stub.ListManualReviews(pb.ListManualReviewsRequest(
            status=status, page=page, page_size=page_size), metadata=metadata)
        return list(reply.cases), reply.total

    async def reveal_case_document_number(self, case_id: str, *, metadata: Metadata) -> str:
        """R-STAFF-3: the case's document number in full (audited by identity); never cache it."""
        reply = await self._stub.RevealCaseDocumentNumber(pb.RevealCaseDocumentNumberRequest(case_id=case_id),
                                                          metadata=metadata)
        return str(reply.document_number)

    async def manual_review(self, case_id: str, *, metadata: Metadata) -> pb.ManualReviewCase | None:
        """One case, found in the queue: the service has no single-case read (see the report)."""
        page = 0
        while True:
            cases, total = await self.manual_reviews(metadata=metadata, status="ALL", page=page, page_size=100)
            for case in cases:
                if case.case_id == case_id:
                    return case
            page += 1
            if not cases or page * 100 >= total or page >= 20:
                return None

    async def decide_manual_review(self, case_id: str, decision: str, reason: str, *,
                                   metadata: Metadata) -> pb.ManualReviewCase:
        return await self._stub.DecideManualReview(pb.DecideManualReviewRequest(
            case_id=case_id, decision=vocabulary.review_status(decision), reason=reason), metadata=metadata)

    async def support_requests(self, *, metadata: Metadata, status: str = "PENDING", page: int = 0,
                               page_size: int = 20) -> tuple[list[pb.SupportRequest], int]:
        reply = await self._stub.ListSupportRequests(pb.ListSupportRequestsRequest(
            status=status, page=page, page_size=page_size), metadata=metadata)
        return list(reply.requests), reply.total

    async def support_request(self, request_id: str, *, metadata: Metadata) -> pb.SupportRequest | None:
        page = 0
        while True:
            found, total = await self.support_requests(metadata=metadata, status="ALL", page=page, page_size=100)
            for item in found:
                if item.request_id == request_id:
                    return item
            page += 1
            if not found or page * 100 >= total or page >= 20:
                return None

    async def decide_support_request(self, request_id: str, decision: str, reason: str, *,
                                     metadata: Metadata) -> pb.SupportRequest:
        return await self._stub.DecideSupportRequest(pb.DecideSupportRequestRequest(
            request_id=request_id, decision=vocabulary.review_status(decision), reason=reason), metadata=metadata)

    async def case_photo(self, photo_id: str, *, metadata: Metadata) -> CasePhoto:
        reply = await self._stub.GetCasePhoto(pb.GetCasePhotoRequest(photo_id=photo_id), metadata=metadata)
        return CasePhoto(reply.content_type, reply.content)

    # --- staff administration (R-STAFF-5); the service decides who may --------------------------

    async def staff(self, *, metadata: Metadata) -> list[pb.StaffMember]:
        return list((await self._stub.ListStaff(pb.ListStaffRequest(), metadata=metadata)).staff)

    async def create_staff(self, *, username: str, display_name: str, role: str, organisation_code: str,
                           metadata: Metadata) -> pb.StaffSetupCodeResponse:
        return await self._stub.CreateStaff(pb.CreateStaffRequest(
            username=username, display_name=display_name, role=vocabulary.role(role),
            organisation_code=organisation_code), metadata=metadata, timeout=HASHING_DEADLINE)

    async def update_staff(self, staff_id: str, *, display_name: str, role: str, organisation_code: str,
                           metadata: Metadata) -> pb.StaffMember:
        return await self._stub.UpdateStaff(pb.UpdateStaffRequest(
            staff_id=staff_id, display_name=display_name, role=vocabulary.role(role),
            organisation_code=organisation_code), metadata=metadata)

    async def set_staff_active(self, staff_id: str, active: bool, *, metadata: Metadata) -> pb.StaffMember:
        return await self._stub.SetStaffActive(pb.SetStaffActiveRequest(staff_id=staff_id, active=active),
                                               metadata=metadata)

    async def reset_staff(self, staff_id: str, what: str, *, metadata: Metadata) -> pb.StaffSetupCodeResponse:
        """``what``: "password" or "totp"; either answers a new setup code."""
        call = self._stub.ResetStaffTotp if what == "totp" else self._stub.ResetStaffPassword
        return await call(pb.ResetStaffRequest(staff_id=staff_id), metadata=metadata, timeout=HASHING_DEADLINE)

    async def unlock_applicant(self, *, document_type: str, document_number: str, metadata: Metadata) -> str:
        reply = await self._stub.UnlockApplicantSignIn(pb.UnlockApplicantSignInRequest(
            document_type=vocabulary.document_type(document_type), document_number=document_number),
            metadata=metadata)
        return reply.account_id

    async def correct_account_email(self, account_id: str, email: str, reason: str, *, application_number: str,
                                    organisation_name: str, metadata: Metadata) -> pb.CorrectAccountEmailResponse:
        """R-APP-7: the account's email, corrected by authority or point staff (identity checks the role)."""
        return await self._stub.CorrectAccountEmail(pb.CorrectAccountEmailRequest(
            account_id=account_id, new_email=email, reason=reason, application_number=application_number,
            organisation_name=organisation_name), metadata=metadata)
