"""Pydantic models of the applications API: the OpenAPI document names every field.

Responses mirror the application service's views (same field names as the protos), built with
``from_proto``; requests carry what one wizard step or one edit needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from google.protobuf.message import Message
from pydantic import BaseModel, BeforeValidator, Field, field_validator

from tqr_gateway import vocabulary
from tqr_gateway.api.fields import ExpectedVersion, Int32, TypedNumber
from tqr_gateway.api.proto_dicts import message_to_dict

M = TypeVar("M", bound=BaseModel)


def from_proto(model: type[M], message: Message) -> M:
    return model.model_validate(message_to_dict(message))


def _unspecified_as_empty(value: object) -> object:
    """A proto enum's zero value names no status or action: the API says "" as it always has."""
    return "" if isinstance(value, str) and value.endswith("_UNSPECIFIED") else value


# A status or action code: the proto enum's name (ApplicationStatus / StatusAction), "" when unset.
Code = Annotated[str, BeforeValidator(_unspecified_as_empty)]


# --- shared views --------------------------------------------------------------------------------


class CertificateFields(BaseModel):
    """What a certificate says: the wizard's step 4 and an edit after submission ask for the same."""

    holder_name: str = ""
    certificate_type_code: str = ""
    subject_code: str = ""
    issuing_body: str = ""
    issue_date: str = Field(default="", description="YYYY-MM-DD")
    gender: str = Field(default="", description="M / F")
    birth_date: str = Field(default="", description="YYYY-MM-DD")


class Certificate(CertificateFields):
    certificate_number: str = ""

    @field_validator("gender", mode="before")
    @classmethod
    def _gender_as_before(cls, value: object) -> object:
        """The view carries the enum (its name, from the protobuf); the API says M / F as before."""
        if isinstance(value, str) and value.startswith("GENDER_"):
            return vocabulary.gender_letter(vocabulary.gender(value.removeprefix("GENDER_")))
        return value

    locked: bool = Field(default=False, description="taken from the registry: read-only (R-WIZ-3/4)")
    has_photo: bool = False
    certificate_type_name: str = ""
    subject_name: str = ""


class WorkHistoryEntry(BaseModel):
    start: str = Field(default="", description="YYYY-MM-DD")
    end: str = Field(default="", description="YYYY-MM-DD; empty = until now")
    school: str = ""
    post: str = ""


class AnnualAssessment(BaseModel):
    year: Int32 = 0
    result: str = Field(default="", description="优秀 / 合格 / 基本合格 / 不合格 / 不定等次 / 未考核")


class Materials(BaseModel):
    email: str = ""
    school: str = ""
    post: str = ""
    employment_start: str = ""
    work_history: list[WorkHistoryEntry] = []
    annual_assessments: list[AnnualAssessment] = []
    ethics_assessment: str = ""
    continuing_education_hours: Int32 = 0


class PointWindow(BaseModel):
    point_code: str = ""
    point_name: str = ""
    address: str = ""
    phone: str = ""
    scope: str = ""
    confirm_start: datetime | None = None
    confirm_end: datetime | None = None
    onsite_notes: str = ""


class Plan(BaseModel):
    plan_id: str = ""
    authority_code: str = ""
    authority_name: str = ""
    name: str = ""
    online_start: datetime | None = None
    online_end: datetime | None = None
    points: list[PointWindow] = []


class Warning(BaseModel):
    code: str = ""
    message_zh: str = ""
    message_en: str = ""
    field: str = ""
    step: int = 0


# --- the wizard ----------------------------------------------------------------------------------


class Draft(BaseModel):
    current_step: int = 0
    furthest_step: int = 0
    must_read_shown_at: datetime | None = None
    terms_accepted: bool = False
    certificate: Certificate = Certificate()
    document_number_masked: str = ""
    unusual_certificate_number: bool = False
    authority_code: str = ""
    authority_name: str = ""
    teaching_stage_code: str = ""
    teaching_subject_code: str = ""
    plan: Plan = Plan()
    point_code: str = ""
    notes_read: bool = False
    materials: Materials = Materials()
    applicant_name: str = ""
    must_read_seconds_left: float = 0
    submitted: bool = False
    application_number: str = ""
    overridden_warnings: list[str] = []


class DraftResponse(BaseModel):
    draft: Draft = Draft()
    warnings: list[Warning] = Field(default=[], description="warnings the last save continued past")
    cleared: list[Warning] = Field(default=[], description="later answers the last save dropped")


class WithOverrides(BaseModel):
    override_warnings: list[str] = Field(default=[], description="warning ids to continue past (仍然继续)")


class MustReadIn(WithOverrides):
    pass


class TermsIn(WithOverrides):
    accept: bool = Field(description="R-WIZ-2: true = 接受")


class CertificateLookupIn(WithOverrides):
    certificate_number: TypedNumber = Field(description="full-width digits, spaces and case are normalised (R-WIZ-11)")
    document_number: TypedNumber = Field(default="", description="optional; must be the account's own")


class CertificateDetailsIn(WithOverrides, CertificateFields):
    authority_code: str
    teaching_stage_code: str
    teaching_subject_code: str


class PointIn(WithOverrides):
    point_code: str


class NotesIn(WithOverrides):
    read: bool = True


class MaterialsIn(WithOverrides):
    materials: Materials


class GoBackIn(BaseModel):
    to_step: int = Field(ge=1, le=7)


class EligibilityFinding(BaseModel):
    code: str = ""
    blocking: bool = False
    message_zh: str = ""
    message_en: str = ""
    outcome: str = ""


class EligibilityReport(BaseModel):
    eligible: bool = False
    findings: list[EligibilityFinding] = []
    likely_outcome: str = ""


class SubmitIn(WithOverrides):
    pass


# --- after submission ----------------------------------------------------------------------------


class StatusHistoryEntry(BaseModel):
    from_status: Code = ""
    to_status: Code = ""
    action: Code = ""
    actor_role: str = ""
    at: datetime | None = None
    reason: str = ""
    missing_materials: list[str] = []


class Status(BaseModel):
    status: Code = ""
    label_zh: str = ""
    label_en: str = ""
    meaning_zh: str = ""
    meaning_en: str = ""
    next_step_zh: str = ""
    next_step_en: str = ""
    missing_materials: list[str] = []
    reason: str = ""
    materials_resubmitted_at: datetime | None = Field(
        default=None, description="MATERIALS_INCOMPLETE: when the applicant said the missing materials are ready")


class Application(BaseModel):
    application_id: str = ""
    application_number: str = ""
    applicant_name: str = ""
    document_number_masked: str = ""
    status: Status = Status()
    version: int = 0
    certificate: Certificate = Certificate()
    authority_code: str = ""
    authority_name: str = ""
    authority_address: str = ""
    authority_phone: str = ""
    point: PointWindow = PointWindow()
    plan_id: str = ""
    online_end: datetime | None = None
    teaching_stage_code: str = ""
    teaching_subject_code: str = ""
    materials: Materials = Materials()
    history: list[StatusHistoryEntry] = []
    editable_groups: list[str] = []
    submitted_at: datetime | None = None
    allowed_actions: list[str] = []
    # R-APP-6: until when the applicant may change the application (unset when the status allows no edits).
    edit_until: datetime | None = None


class SubmitResult(BaseModel):
    application_id: str = ""
    application_number: str = ""
    applicant_name: str = ""
    document_number_masked: str = ""
    certificate_number: str = ""
    email: str = ""
    application: Application = Application()


class ApplicationList(BaseModel):
    applications: list[Application] = []


class WithExpectedVersion(BaseModel):
    """A change to a submitted application: refused (409) when someone changed it since ``expected_version``."""

    expected_version: ExpectedVersion = 0


class CertificateEditIn(WithExpectedVersion, CertificateFields):
    certificate_number: TypedNumber = ""


class MaterialsEditIn(WithExpectedVersion):
    materials: Materials


class EmailEditIn(WithExpectedVersion):
    email: str


class EditResult(BaseModel):
    application: Application = Application()
    replaced_from_registry: bool = False


class CorrectAuthorityIn(WithExpectedVersion):
    authority_code: str
    point_code: str


class MaterialsReadyIn(WithExpectedVersion):
    pass


class WithdrawIn(WithExpectedVersion):
    reason: str = ""


class ApplicationMessage(BaseModel):
    message_id: str = ""
    application_id: str = ""
    author_role: str = ""
    author_org_name: str = ""
    body: str = ""
    created_at: datetime | None = None


class PointNotes(BaseModel):
    application_id: str = ""
    point_code: str = ""
    point_name: str = ""
    notes: str = ""


class Messages(BaseModel):
    messages: list[ApplicationMessage] = []
    point_notes: list[PointNotes] = []


class InboxMessage(BaseModel):
    message_id: str = ""
    title: str = ""
    body: str = ""
    created_at: str = ""
    read: bool = False
    event_type: str = ""


class Inbox(BaseModel):
    messages: list[InboxMessage] = []
    next_page_token: str = ""
    unread: int = 0


class Unread(BaseModel):
    unread: int = 0

