"""RPCs anyone may call (the gateway calls them before a person has signed in)."""

from __future__ import annotations

import grpc
from tqr.identity.v1 import identity_pb2

from tqr_identity.domain.documents import DocumentType
from tqr_identity.domain.passwords import SPECIAL_CHARACTERS
from tqr_identity.entrypoints import mappers
from tqr_identity.security.slider import Challenge
from tqr_identity.service_layer import codes, human_check, passwords, registration, sign_in
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.support_without_sign_in import (
    AnonymousSupportRequest,
    create_support_request_without_sign_in,
)

Ctx = grpc.aio.ServicerContext


def _kind(value: int) -> human_check.HumanCheckKind:
    if value == identity_pb2.HUMAN_CHECK_KIND_TEXT:
        return human_check.HumanCheckKind.TEXT
    return human_check.HumanCheckKind.SLIDER


class PublicRpcs:
    ctx: IdentityContext

    async def IssueHumanCheck(self, request: identity_pb2.IssueHumanCheckRequest, context: Ctx
                              ) -> identity_pb2.IssueHumanCheckResponse:
        issued = await human_check.issue_human_check(self.ctx, _kind(request.kind), request.client_id)
        if isinstance(issued, Challenge):
            return identity_pb2.IssueHumanCheckResponse(
                challenge_id=issued.challenge_id, kind=identity_pb2.HUMAN_CHECK_KIND_SLIDER,
                background_image=issued.background_image, background_media_type=issued.background_media_type,
                piece_png=issued.piece_png, piece_y=issued.piece_y, width=issued.width, height=issued.height,
            )
        question = issued.question_en if request.language == "en" else issued.question_zh
        return identity_pb2.IssueHumanCheckResponse(
            challenge_id=issued.challenge_id, kind=identity_pb2.HUMAN_CHECK_KIND_TEXT, question=question)

    async def AnswerHumanCheck(self, request: identity_pb2.AnswerHumanCheckRequest, context: Ctx
                               ) -> identity_pb2.AnswerHumanCheckResponse:
        token = await human_check.answer_human_check(self.ctx, _kind(request.kind), request.challenge_id,
                                                     request.answer)
        return identity_pb2.AnswerHumanCheckResponse(passed=token is not None, pass_token=token or "")

    async def RequestVerificationCode(self, request: identity_pb2.RequestVerificationCodeRequest, context: Ctx
                                      ) -> identity_pb2.RequestVerificationCodeResponse:
        sent = await codes.request_registration_code(
            self.ctx, pass_token=request.pass_token, purpose=mappers.code_purpose(request.purpose),
            channel=mappers.code_channel(request.channel), destination=request.destination,
            client_id=request.client_id,
        )
        return mappers.code_sent(sent)

    async def GetRegistrationOptions(self, request: identity_pb2.GetRegistrationOptionsRequest, context: Ctx
                                     ) -> identity_pb2.GetRegistrationOptionsResponse:
        return identity_pb2.GetRegistrationOptionsResponse(
            document_types=[
                identity_pb2.DocumentTypeOption(code=mappers.document_type(t), label_zh=t.label_zh, label_en=t.label_en,
                                                format_hint_zh=t.format_hint_zh, format_hint_en=t.format_hint_en)
                for t in DocumentType
            ],
            agreement_version=self.ctx.settings.agreement_version,
            password_special_characters=SPECIAL_CHARACTERS,
        )

    async def RegisterAccount(self, request: identity_pb2.RegisterAccountRequest, context: Ctx
                              ) -> identity_pb2.RegisterAccountResponse:
        account = await registration.register_account(self.ctx, registration.RegisterAccount(
            document_type=mappers.document_type_code(request.document_type),
            document_number=request.document_number, name=request.name,
            password=request.password, password_confirm=request.password_confirm, email=request.email,
            mobile=request.mobile, sms_code=request.sms_code, agreement_version=request.agreement_version,
            agreement_accepted=request.agreement_accepted,
        ))
        token = await sign_in.open_applicant_session(self.ctx, account.id)
        return identity_pb2.RegisterAccountResponse(account_id=account.id,
                                                    masked_document_number=account.masked_document_number,
                                                    session_token=token)

    async def SignIn(self, request: identity_pb2.SignInRequest, context: Ctx) -> identity_pb2.SignInResponse:
        signed = await sign_in.sign_in(
            self.ctx, document_type=mappers.document_type_code(request.document_type),
            document_number=request.document_number,
            password=request.password, pass_token=request.pass_token, client_id=request.client_id,
        )
        return identity_pb2.SignInResponse(session_token=signed.session_token, subject_id=signed.subject_id,
                                           kind=signed.kind.value, roles=mappers.roles(signed.roles))

    async def StaffSignIn(self, request: identity_pb2.StaffSignInRequest, context: Ctx
                          ) -> identity_pb2.SignInResponse:
        signed = await sign_in.staff_sign_in(self.ctx, username=request.username, password=request.password,
                                             totp_code=request.totp_code, client_id=request.client_id)
        return identity_pb2.SignInResponse(session_token=signed.session_token, subject_id=signed.subject_id,
                                           kind=signed.kind.value, roles=mappers.roles(signed.roles))

    async def SignOut(self, request: identity_pb2.SignOutRequest, context: Ctx) -> identity_pb2.SignOutResponse:
        return identity_pb2.SignOutResponse(ended=await sign_in.sign_out(self.ctx, request.session_token))

    async def ResolveSession(self, request: identity_pb2.ResolveSessionRequest, context: Ctx
                             ) -> identity_pb2.ResolveSessionResponse:
        found = await sign_in.resolve_session(self.ctx, request.session_token)
        return identity_pb2.ResolveSessionResponse(
            subject_id=found.subject_id, kind=found.kind.value, roles=mappers.roles(found.roles),
            organisation_code=found.organisation_code, name=found.name,
            masked_document_number=found.masked_document_number, real_name_status=found.real_name_status,
            session_id=found.session_id, valid_for_seconds=found.valid_for_seconds,
            revocation_channel=self.ctx.security.sessions.revocation_channel,
        )

    async def RequestPasswordReset(self, request: identity_pb2.RequestPasswordResetRequest, context: Ctx
                                   ) -> identity_pb2.RequestVerificationCodeResponse:
        sent = await passwords.request_password_reset(
            self.ctx, document_type=mappers.document_type_code(request.document_type),
            document_number=request.document_number,
            channel=mappers.code_channel(request.channel), pass_token=request.pass_token,
            client_id=request.client_id,
        )
        return mappers.code_sent(sent)

    async def ResetPassword(self, request: identity_pb2.ResetPasswordRequest, context: Ctx
                            ) -> identity_pb2.ResetPasswordResponse:
        ended = await passwords.reset_password(
            self.ctx, document_type=mappers.document_type_code(request.document_type),
            document_number=request.document_number,
            channel=mappers.code_channel(request.channel), code=request.code, new_password=request.new_password,
            new_password_confirm=request.new_password_confirm, client_id=request.client_id,
        )
        return identity_pb2.ResetPasswordResponse(sessions_ended=ended)

    async def CreateSupportRequestWithoutSignIn(
            self, request: identity_pb2.CreateSupportRequestWithoutSignInRequest, context: Ctx
    ) -> identity_pb2.CreateSupportRequestWithoutSignInResponse:
        receipt = await create_support_request_without_sign_in(self.ctx, AnonymousSupportRequest(
            document_type=mappers.document_type_code(request.document_type),
            document_number=request.document_number, name=request.name,
            pass_token=request.pass_token, client_id=request.client_id, kind=request.kind,
            requested_mobile=request.requested_mobile, requested_email=request.requested_email,
            explanation=request.explanation,
        ), mappers.uploads(request.photos))
        return identity_pb2.CreateSupportRequestWithoutSignInResponse(
            received=True, working_days=receipt.working_days, answer_by=receipt.answer_by.isoformat(),
            message_zh=receipt.message_zh, message_en=receipt.message_en)
