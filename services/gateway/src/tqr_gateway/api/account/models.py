"""Request and response models of the account API, so the OpenAPI document says every field."""

from __future__ import annotations

import base64
from typing import Literal

from pydantic import BaseModel, Field
from tqr.identity.v1 import identity_pb2

from tqr_gateway import vocabulary
from tqr_gateway.api.fields import TypedNumber

Channel = Literal["SMS", "EMAIL", "ALTERNATIVE"]


class HumanCheckRequest(BaseModel):
    kind: Literal["slider", "text"] = "slider"


class HumanCheck(BaseModel):
    challenge_id: str
    kind: Literal["slider", "text"]
    background_image_base64: str = ""
    background_media_type: str = Field("", description='slider: the background\'s type ("image/jpeg")')
    piece_png_base64: str = ""
    piece_y: int = 0
    width: int = 0
    question: str = Field("", description="text: a short word problem whose answer is a whole number")

    @classmethod
    def of(cls, kind: Literal["slider", "text"], reply: identity_pb2.IssueHumanCheckResponse) -> HumanCheck:
        return cls(challenge_id=reply.challenge_id, kind=kind,
                   background_image_base64=base64.b64encode(reply.background_image).decode(),
                   background_media_type=reply.background_media_type,
                   piece_png_base64=base64.b64encode(reply.piece_png).decode(), piece_y=reply.piece_y,
                   width=reply.width, question=reply.question)


class HumanCheckAnswer(BaseModel):
    kind: Literal["slider", "text"] = "slider"
    answer: str = Field(description="slider: the x offset in pixels; text: the answer")


class HumanPass(BaseModel):
    passed: bool
    pass_token: str = Field("", description="single use; give it to the next step")


class DocumentTypeOption(BaseModel):
    code: str
    label_zh: str
    label_en: str
    format_hint_zh: str
    format_hint_en: str


class RegistrationOptions(BaseModel):
    document_types: list[DocumentTypeOption]
    agreement_version: str
    password_special_characters: str


class CodeRequest(BaseModel):
    pass_token: str
    mobile: TypedNumber
    channel: Literal["SMS", "ALTERNATIVE"] = "SMS"


class CodeSent(BaseModel):
    destination_hint: str = Field(description="the masked address; empty for a password reset (R-ID-15)")
    expires_in_seconds: int
    resend_after_seconds: int

    @classmethod
    def of(cls, reply: identity_pb2.RequestVerificationCodeResponse) -> CodeSent:
        return cls(destination_hint=reply.destination_hint, expires_in_seconds=reply.expires_in_seconds,
                   resend_after_seconds=reply.resend_after_seconds)


class Registration(BaseModel):
    document_type: str
    document_number: TypedNumber
    name: str
    password: str
    password_confirm: str
    email: str
    mobile: TypedNumber
    sms_code: str
    agreement_version: str
    agreement_accepted: bool


class Registered(BaseModel):
    account_id: str
    masked_document_number: str
    signed_in: bool


class SignInRequest(BaseModel):
    document_type: str
    document_number: TypedNumber
    password: str
    pass_token: str


class StaffSignInRequest(BaseModel):
    username: str
    password: str
    totp_code: str


class SignedIn(BaseModel):
    subject_id: str
    kind: str
    roles: list[str]


class Account(BaseModel):
    account_id: str
    document_type: str
    document_type_label_zh: str
    masked_document_number: str
    name: str
    email: str
    masked_mobile: str
    gender: str
    birth_date: str
    ethnicity: str
    document_valid_from: str
    document_valid_until: str
    real_name_status: str
    agreement_version: str
    pending_review_due_date: str
    may_edit_gender_and_birth_date: bool

    @classmethod
    def of(cls, view: identity_pb2.AccountView) -> Account:
        values = {name: getattr(view, name) for name in cls.model_fields}
        return cls(**{**values, "document_type": vocabulary.document_type_code(view.document_type),
                      "gender": vocabulary.gender_code(view.gender)})


class ProfileChanges(BaseModel):
    ethnicity: str | None = None
    document_valid_from: str | None = None
    document_valid_until: str | None = Field(None, description='ISO date or "LONG_TERM"')
    email: str | None = Field(None, description="R-ID-14: only the current address; a new one: /email-changes")
    gender: Literal["MALE", "FEMALE"] | None = None
    birth_date: str | None = None


class PasswordChange(BaseModel):
    current_password: str
    password: str
    password_confirm: str


class EmailChangeRequest(BaseModel):
    new_email: str
    current_password: str


class EmailChangeConfirmation(BaseModel):
    new_email: str
    code: str = Field(description="the code sent to new_email")


class SessionsEnded(BaseModel):
    sessions_ended: int


class PasswordResetRequest(BaseModel):
    document_type: str
    document_number: TypedNumber
    channel: Literal["SMS", "EMAIL"] = "SMS"
    pass_token: str


class PasswordReset(BaseModel):
    document_type: str
    document_number: TypedNumber
    channel: Literal["SMS", "EMAIL"] = "SMS"
    code: str
    password: str
    password_confirm: str


class RealNameRequest(BaseModel):
    corrected_name: str = ""


class RealNameOutcome(BaseModel):
    verified: bool
    real_name_status: str
    message_zh: str
    message_en: str
    name: str


class ManualReviewCase(BaseModel):
    case_id: str
    status: str
    submitted_at: str
    due_date: str = Field(description="ISO date, 7 working days after submission")
    decision_reason: str


class SupportRequestCreated(BaseModel):
    request_id: str
    kind: str
    status: str
    created_at: str


class SupportRequestReceived(BaseModel):
    """R-ID-11: the same receipt for every accepted request, whether or not the document is registered."""

    received: bool
    working_days: int = Field(description="a reviewer answers within this many working days")
    answer_by: str = Field(description="ISO date (China working days)")
    message_zh: str
    message_en: str


class CsrfToken(BaseModel):
    csrf_token: str = Field(description="send it as the X-CSRF-Token header with every POST/PATCH/DELETE")
