"""Typed calls to the identity service (tqr.identity.v1.IdentityService).

Each method takes the caller's gRPC metadata where the RPC needs a signed-in person
(``deps.actor_metadata(session)``); refusals come back as ``grpc.aio.AioRpcError`` carrying the
service's Problem, which pages turn into field errors and the API into problem documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from tqr.identity.v1 import events_pb2, identity_pb2
from tqr.identity.v1 import identity_pb2_grpc as rpc

from tqr_gateway import vocabulary

Metadata = tuple[tuple[str, bytes], ...]

CHANNELS: dict[str, int] = {
    "SMS": events_pb2.CODE_CHANNEL_SMS,
    "EMAIL": events_pb2.CODE_CHANNEL_EMAIL,
    "ALTERNATIVE": events_pb2.CODE_CHANNEL_ALTERNATIVE,
}
KINDS: dict[str, int] = {
    "slider": identity_pb2.HUMAN_CHECK_KIND_SLIDER,
    "text": identity_pb2.HUMAN_CHECK_KIND_TEXT,
}


@dataclass(frozen=True)
class Photo:
    file_name: str
    content: bytes


def registration(fields: Mapping[str, Any], **more: Any) -> identity_pb2.RegisterAccountRequest:
    """A RegisterAccountRequest from form fields, the document type given as its code ("ID_CARD")."""
    values = {**fields, **more}
    return identity_pb2.RegisterAccountRequest(
        **{**values, "document_type": vocabulary.document_type(str(values.get("document_type", "")))})


def channel_code(name: str) -> int:
    return CHANNELS.get(name.upper(), events_pb2.CODE_CHANNEL_SMS)


# Registering, signing in and changing a password hash it with argon2id (R-ID-3), which identity
# runs a few at a time; in a peak window these calls wait their turn. Waiting 15 s is better for a
# person than being told to try again after the usual deadline (GATEWAY_RPC_TIMEOUT_SECONDS).
PASSWORD_HASHING_DEADLINE = 15.0


class IdentityClient:
    def __init__(self, channel: grpc.aio.Channel, forget_session: Callable[[str], None] = lambda token: None) -> None:
        """``forget_session``: drops a token from the gateway's session cache when it signs out."""
        self._stub = rpc.IdentityServiceStub(channel)
        self._forget_session = forget_session

    async def resolve_session(self, session_token: str) -> identity_pb2.ResolveSessionResponse:
        """Who holds the token (the session middleware asks, or its cache remembers)."""
        return await self._stub.ResolveSession(identity_pb2.ResolveSessionRequest(session_token=session_token))

    # Public: before sign-in.
    async def issue_human_check(self, kind: str, language: str, client_id: str
                                ) -> identity_pb2.IssueHumanCheckResponse:
        """``client_id``: the caller's address, for identity's per-client issue limit."""
        request = identity_pb2.IssueHumanCheckRequest(kind=KINDS.get(kind, KINDS["slider"]), language=language,
                                                      client_id=client_id)
        return await self._stub.IssueHumanCheck(request)

    async def answer_human_check(self, challenge_id: str, answer: str, kind: str) -> str:
        """The single-use pass, or "" when the answer was wrong (or the challenge expired)."""
        reply = await self._stub.AnswerHumanCheck(identity_pb2.AnswerHumanCheckRequest(
            challenge_id=challenge_id, answer=answer, kind=KINDS.get(kind, KINDS["slider"])))
        return reply.pass_token if reply.passed else ""

    async def request_registration_code(self, *, pass_token: str, mobile: str, channel: str,
                                        client_id: str) -> identity_pb2.RequestVerificationCodeResponse:
        return await self._stub.RequestVerificationCode(identity_pb2.RequestVerificationCodeRequest(
            pass_token=pass_token, purpose=events_pb2.CODE_PURPOSE_REGISTER, channel=channel_code(channel),
            destination=mobile, client_id=client_id))

    async def registration_options(self) -> identity_pb2.GetRegistrationOptionsResponse:
        return await self._stub.GetRegistrationOptions(identity_pb2.GetRegistrationOptionsRequest())

    async def register(self, request: identity_pb2.RegisterAccountRequest) -> identity_pb2.RegisterAccountResponse:
        return await self._stub.RegisterAccount(request, timeout=PASSWORD_HASHING_DEADLINE)

    async def sign_in(self, *, document_type: str, document_number: str, password: str, pass_token: str,
                      client_id: str) -> identity_pb2.SignInResponse:
        return await self._stub.SignIn(identity_pb2.SignInRequest(
            document_type=vocabulary.document_type(document_type), document_number=document_number, password=password,
            pass_token=pass_token, client_id=client_id), timeout=PASSWORD_HASHING_DEADLINE)

    async def staff_sign_in(self, *, username: str, password: str, totp_code: str,
                            client_id: str) -> identity_pb2.SignInResponse:
        return await self._stub.StaffSignIn(identity_pb2.StaffSignInRequest(
            username=username, password=password, totp_code=totp_code, client_id=client_id),
            timeout=PASSWORD_HASHING_DEADLINE)

    async def start_staff_enrolment(self, *, username: str, setup_code: str,
                                    client_id: str) -> identity_pb2.StartStaffEnrolmentResponse:
        """R-STAFF-5: a staff member's first sign-in (or the one after a reset) with the setup code."""
        return await self._stub.StartStaffEnrolment(identity_pb2.StartStaffEnrolmentRequest(
            username=username, setup_code=setup_code, client_id=client_id))

    async def finish_staff_enrolment(self, *, enrolment_token: str, new_password: str, new_password_confirm: str,
                                     totp_code: str, client_id: str) -> identity_pb2.FinishStaffEnrolmentResponse:
        return await self._stub.FinishStaffEnrolment(identity_pb2.FinishStaffEnrolmentRequest(
            enrolment_token=enrolment_token, new_password=new_password, new_password_confirm=new_password_confirm,
            totp_code=totp_code, client_id=client_id), timeout=PASSWORD_HASHING_DEADLINE)

    async def sign_out(self, session_token: str) -> bool:
        self._forget_session(session_token)
        reply = await self._stub.SignOut(identity_pb2.SignOutRequest(session_token=session_token))
        return reply.ended

    async def request_password_reset(self, *, document_type: str, document_number: str, channel: str,
                                     pass_token: str, client_id: str
                                     ) -> identity_pb2.RequestVerificationCodeResponse:
        return await self._stub.RequestPasswordReset(identity_pb2.RequestPasswordResetRequest(
            document_type=vocabulary.document_type(document_type), document_number=document_number,
            channel=channel_code(channel),
            pass_token=pass_token, client_id=client_id))

    async def reset_password(self, *, document_type: str, document_number: str, channel: str, code: str,
                             password: str, password_confirm: str, client_id: str) -> int:
        reply = await self._stub.ResetPassword(identity_pb2.ResetPasswordRequest(
            document_type=vocabulary.document_type(document_type), document_number=document_number,
            channel=channel_code(channel),
            code=code, new_password=password, new_password_confirm=password_confirm, client_id=client_id),
            timeout=PASSWORD_HASHING_DEADLINE)
        return reply.sessions_ended

    # Signed-in applicant.
    async def get_account(self, metadata: Metadata) -> identity_pb2.AccountView:
        reply = await self._stub.GetAccount(identity_pb2.GetAccountRequest(), metadata=metadata)
        return reply.account

    async def update_profile(self, metadata: Metadata, changes: dict[str, str]) -> identity_pb2.AccountView:
        """``changes``: field → text as the forms send it (gender as its code, "MALE")."""
        texts: dict[str, Any] = {k: v for k, v in changes.items() if k != "gender"}
        request = identity_pb2.UpdateProfileRequest(**texts)
        if "gender" in changes:
            request.gender = vocabulary.gender(changes["gender"])
        reply = await self._stub.UpdateProfile(request, metadata=metadata)
        return reply.account

    async def change_password(self, metadata: Metadata, *, current_password: str, password: str,
                              password_confirm: str, session_token: str) -> int:
        reply = await self._stub.ChangePassword(identity_pb2.ChangePasswordRequest(
            current_password=current_password, new_password=password, new_password_confirm=password_confirm,
            session_token=session_token), metadata=metadata, timeout=PASSWORD_HASHING_DEADLINE)
        return reply.other_sessions_ended

    async def request_email_change(self, metadata: Metadata, *, new_email: str, current_password: str,
                                   client_id: str) -> identity_pb2.RequestVerificationCodeResponse:
        """R-ID-14: the current password, then a code to the new address."""
        return await self._stub.RequestEmailChange(identity_pb2.RequestEmailChangeRequest(
            new_email=new_email, current_password=current_password, client_id=client_id),
            metadata=metadata, timeout=PASSWORD_HASHING_DEADLINE)

    async def confirm_email_change(self, metadata: Metadata, *, new_email: str, code: str) -> identity_pb2.AccountView:
        reply = await self._stub.ConfirmEmailChange(identity_pb2.ConfirmEmailChangeRequest(
            new_email=new_email, code=code), metadata=metadata)
        return reply.account

    async def verify_real_name(self, metadata: Metadata, corrected_name: str = ""
                               ) -> identity_pb2.VerifyRealNameResponse:
        return await self._stub.VerifyRealName(
            identity_pb2.VerifyRealNameRequest(corrected_name=corrected_name), metadata=metadata)

    async def request_manual_review(self, metadata: Metadata, photos: Sequence[Photo], note: str
                                    ) -> identity_pb2.ManualReviewCase:
        return await self._stub.RequestManualReview(identity_pb2.RequestManualReviewRequest(
            photos=[identity_pb2.UploadedPhoto(file_name=p.file_name, content=p.content) for p in photos],
            note=note), metadata=metadata)

    async def create_support_request_without_sign_in(
            self, *, document_type: str, document_number: str, name: str, pass_token: str, client_id: str,
            photos: Sequence[Photo], requested_mobile: str = "", requested_email: str = "", explanation: str = "",
    ) -> identity_pb2.CreateSupportRequestWithoutSignInResponse:
        """R-ID-11 (public): the same receipt whether or not the document is registered."""
        return await self._stub.CreateSupportRequestWithoutSignIn(
            identity_pb2.CreateSupportRequestWithoutSignInRequest(
                document_type=vocabulary.document_type(document_type), document_number=document_number,
                name=name, pass_token=pass_token,
                kind="CHANGE_CONTACT", requested_mobile=requested_mobile, requested_email=requested_email,
                explanation=explanation, client_id=client_id,
                photos=[identity_pb2.UploadedPhoto(file_name=p.file_name, content=p.content) for p in photos]))

    async def create_support_request(self, metadata: Metadata, *, kind: str, photos: Sequence[Photo],
                                     requested_name: str = "", requested_gender: str = "",
                                     requested_email: str = "", requested_mobile: str = "",
                                     explanation: str = "") -> identity_pb2.SupportRequest:
        return await self._stub.CreateSupportRequest(identity_pb2.CreateSupportRequestRequest(
            kind=kind, requested_name=requested_name, requested_gender=vocabulary.gender(requested_gender),
            requested_email=requested_email, requested_mobile=requested_mobile, explanation=explanation,
            photos=[identity_pb2.UploadedPhoto(file_name=p.file_name, content=p.content) for p in photos],
        ), metadata=metadata)
