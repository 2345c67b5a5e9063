"""RPCs of a signed-in applicant (Actor role APPLICANT) and of identity reviewers."""

from __future__ import annotations

import grpc
from tqr.identity.v1 import identity_pb2

from tqr_identity.entrypoints import mappers
from tqr_identity.service_layer import attachments, email_change, passwords, profile, reviews, support, verification
from tqr_identity.service_layer.access import require_applicant
from tqr_identity.service_layer.context import IdentityContext

Ctx = grpc.aio.ServicerContext


def _optional(request: identity_pb2.UpdateProfileRequest, field: str) -> str | None:
    return getattr(request, field) if request.HasField(field) else None  # type: ignore[arg-type]


class AccountRpcs:
    ctx: IdentityContext

    async def GetAccount(self, request: identity_pb2.GetAccountRequest, context: Ctx
                         ) -> identity_pb2.GetAccountResponse:
        account_id = require_applicant(mappers.caller(context))
        details = await profile.get_account(self.ctx, account_id)
        return identity_pb2.GetAccountResponse(account=mappers.account_view(details))

    async def UpdateProfile(self, request: identity_pb2.UpdateProfileRequest, context: Ctx
                            ) -> identity_pb2.GetAccountResponse:
        account_id = require_applicant(mappers.caller(context))
        changes = profile.ProfileChanges(
            **{name: _optional(request, name)
               for name in ("ethnicity", "document_valid_from", "document_valid_until", "email", "birth_date")},
            gender=mappers.gender_code(request.gender) if request.HasField("gender") else None,
        )
        details = await profile.update_profile(self.ctx, account_id, changes)
        return identity_pb2.GetAccountResponse(account=mappers.account_view(details))

    async def ChangePassword(self, request: identity_pb2.ChangePasswordRequest, context: Ctx
                             ) -> identity_pb2.ChangePasswordResponse:
        account_id = require_applicant(mappers.caller(context))
        ended = await passwords.change_password(
            self.ctx, account_id, current_password=request.current_password, new_password=request.new_password,
            new_password_confirm=request.new_password_confirm, keep_session_token=request.session_token,
        )
        return identity_pb2.ChangePasswordResponse(other_sessions_ended=ended)

    async def RequestEmailChange(self, request: identity_pb2.RequestEmailChangeRequest, context: Ctx
                                 ) -> identity_pb2.RequestVerificationCodeResponse:
        account_id = require_applicant(mappers.caller(context))
        sent = await email_change.request_email_change(
            self.ctx, account_id, new_email=request.new_email, current_password=request.current_password,
            client_id=request.client_id)
        return mappers.code_sent(sent)

    async def ConfirmEmailChange(self, request: identity_pb2.ConfirmEmailChangeRequest, context: Ctx
                                 ) -> identity_pb2.GetAccountResponse:
        account_id = require_applicant(mappers.caller(context))
        details = await email_change.confirm_email_change(self.ctx, account_id, new_email=request.new_email,
                                                          code=request.code)
        return identity_pb2.GetAccountResponse(account=mappers.account_view(details))

    async def VerifyRealName(self, request: identity_pb2.VerifyRealNameRequest, context: Ctx
                             ) -> identity_pb2.VerifyRealNameResponse:
        account_id = require_applicant(mappers.caller(context))
        outcome = await verification.verify_real_name(self.ctx, account_id, request.corrected_name)
        return identity_pb2.VerifyRealNameResponse(
            verified=outcome.verified, real_name_status=outcome.status.value, message_zh=outcome.message_zh,
            message_en=outcome.message_en, name=outcome.name,
        )

    async def RequestManualReview(self, request: identity_pb2.RequestManualReviewRequest, context: Ctx
                                  ) -> identity_pb2.ManualReviewCase:
        account_id = require_applicant(mappers.caller(context))
        case = await reviews.request_manual_review(self.ctx, account_id, mappers.uploads(request.photos),
                                                   request.note)
        return mappers.review_case(case)

    async def CreateSupportRequest(self, request: identity_pb2.CreateSupportRequestRequest, context: Ctx
                                   ) -> identity_pb2.SupportRequest:
        account_id = require_applicant(mappers.caller(context))
        created = await support.create_support_request(self.ctx, account_id, support.NewSupportRequest(
            kind=request.kind, requested_name=request.requested_name,
            requested_gender=mappers.gender_code(request.requested_gender),
            requested_email=request.requested_email, requested_mobile=request.requested_mobile,
            explanation=request.explanation,
        ), mappers.uploads(request.photos))
        return mappers.support_request(created)

    async def ListManualReviews(self, request: identity_pb2.ListManualReviewsRequest, context: Ctx
                                ) -> identity_pb2.ListManualReviewsResponse:
        cases, total = await reviews.list_manual_reviews(self.ctx, mappers.caller(context), request.status,
                                                         request.page_size, request.page)
        return identity_pb2.ListManualReviewsResponse(cases=[mappers.review_case(c) for c in cases], total=total)

    async def DecideManualReview(self, request: identity_pb2.DecideManualReviewRequest, context: Ctx
                                 ) -> identity_pb2.ManualReviewCase:
        case = await reviews.decide_manual_review(self.ctx, mappers.caller(context), request.case_id,
                                                  mappers.review_status_code(request.decision), request.reason)
        return mappers.review_case(case)

    async def ListSupportRequests(self, request: identity_pb2.ListSupportRequestsRequest, context: Ctx
                                  ) -> identity_pb2.ListSupportRequestsResponse:
        found, total = await support.list_support_requests(self.ctx, mappers.caller(context), request.status,
                                                           request.page_size, request.page)
        return identity_pb2.ListSupportRequestsResponse(requests=[mappers.support_request(r) for r in found],
                                                        total=total)

    async def DecideSupportRequest(self, request: identity_pb2.DecideSupportRequestRequest, context: Ctx
                                   ) -> identity_pb2.SupportRequest:
        decided = await support.decide_support_request(self.ctx, mappers.caller(context), request.request_id,
                                                       mappers.review_status_code(request.decision), request.reason)
        return mappers.support_request(decided)

    async def RevealCaseDocumentNumber(self, request: identity_pb2.RevealCaseDocumentNumberRequest, context: Ctx
                                       ) -> identity_pb2.RevealCaseDocumentNumberResponse:
        number = await reviews.reveal_document_number(self.ctx, mappers.caller(context), request.case_id)
        return identity_pb2.RevealCaseDocumentNumberResponse(document_number=number)

    async def GetCasePhoto(self, request: identity_pb2.GetCasePhotoRequest, context: Ctx
                           ) -> identity_pb2.GetCasePhotoResponse:
        content_type, content = await attachments.read_photo(self.ctx, mappers.caller(context), request.photo_id)
        return identity_pb2.GetCasePhotoResponse(content_type=content_type, content=content)
