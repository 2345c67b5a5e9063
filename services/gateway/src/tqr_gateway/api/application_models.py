"""Pydantic models of the applications API: the OpenAPI document names every field.

Responses restate the services' messages and are derived from them (``derived_models.restating``),
built with ``from_proto`` or written straight from the message (``proto_json``); requests carry what
one wizard step or one edit needs and are written here, as are the two shapes both directions share
(the certificate and the step-7 materials).
"""

from __future__ import annotations

from typing import TypeVar

from google.protobuf.message import Message
from pydantic import BaseModel, Field, field_validator
from tqr.application.v1 import applications_pb2, views_pb2, wizard_pb2
from tqr.notification.v1 import notification_pb2

from tqr_gateway import vocabulary
from tqr_gateway.api.derived_models import restating
from tqr_gateway.api.fields import ExpectedVersion, Int32, TypedNumber
from tqr_gateway.api.proto_dicts import message_to_dict

M = TypeVar("M", bound=BaseModel)


def from_proto(model: type[M], message: Message) -> M:
    return model.model_validate(message_to_dict(message))


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
        if isinstance(value, str) and value in vocabulary.GENDER_NAMES:
            return vocabulary.gender_letter_of_name(value)
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


# --- the wizard ----------------------------------------------------------------------------------


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
    # R-SLOT-1: required when the point publishes bookable appointment slots (ListSlots / the pages).
    slot_id: str = ""


class NotesIn(WithOverrides):
    read: bool = True


class MaterialsIn(WithOverrides):
    materials: Materials


class GoBackIn(BaseModel):
    to_step: int = Field(ge=1, le=7)


class SubmitIn(WithOverrides):
    pass


# --- after submission ----------------------------------------------------------------------------


class WithExpectedVersion(BaseModel):
    """A change to a submitted application: refused (409) when someone changed it since ``expected_version``."""

    expected_version: ExpectedVersion = 0


class CertificateEditIn(WithExpectedVersion, CertificateFields):
    certificate_number: TypedNumber = ""
    accept_unusual_number: bool = Field(
        default=False, description="R-APP-6 / R-WIZ-3: keep a number that is not 15 or 17 digits (仍然继续)")


class PointEditIn(WithExpectedVersion):
    point_code: str = Field(description="R-APP-6: another point of the application's plan")


class TeachingEditIn(WithExpectedVersion):
    teaching_stage_code: str
    teaching_subject_code: str


class MaterialsEditIn(WithExpectedVersion):
    materials: Materials


class EmailEditIn(WithExpectedVersion):
    email: str


class CorrectAuthorityIn(WithExpectedVersion):
    authority_code: str
    point_code: str


class MaterialsReadyIn(WithExpectedVersion):
    """Issue 19 item 19: the missing materials are ready (MATERIALS_INCOMPLETE only)."""


class WithdrawIn(WithExpectedVersion):
    reason: str = ""


# --- responses: the messages restated -----------------------------------------------------------

_SHARED = {"tqr.application.v1.CertificateData": Certificate, "tqr.application.v1.Materials": Materials}

PointWindow = restating(views_pb2.PointWindow, name="PointWindow")
Plan = restating(views_pb2.Plan, name="Plan", using={"tqr.application.v1.PointWindow": PointWindow})
Warning = restating(wizard_pb2.Warning, name="Warning")
Draft = restating(
    # The photo has its own route; the reference version is how the gateway remembers reference answers.
    wizard_pb2.Draft, name="Draft", omit=["registry_photo", "reference_version"],
    using={**_SHARED, "tqr.application.v1.Plan": Plan},
)
DraftResponse = restating(
    wizard_pb2.DraftResponse, name="DraftResponse",
    using={"tqr.application.v1.Draft": Draft, "tqr.application.v1.Warning": Warning},
    describe={"warnings": "warnings the last save continued past", "cleared": "later answers the last save dropped"},
)
EligibilityReport = restating(wizard_pb2.EligibilityReport, name="EligibilityReport")

StatusHistoryEntry = restating(views_pb2.StatusHistoryEntry, name="StatusHistoryEntry")
Status = restating(views_pb2.StatusView, name="Status")
Application = restating(
    views_pb2.ApplicationView, name="Application",
    # Whose account it is and the staff-only flags (R-WIZ-10, R-STAFF-8) are not the applicant's to
    # see; the reference version is how the gateway remembers reference answers.
    omit=["applicant_id", "certificate_claimed_by_another", "also_in_other_plans", "reference_version"],
    describe={"edit_until": "R-APP-6: until when the applicant may change the application (null: no edits)",
              "version": "pass back as expected_version to guard against concurrent changes"},
    using={**_SHARED, "tqr.application.v1.PointWindow": PointWindow,
           "tqr.application.v1.StatusView": Status, "tqr.application.v1.StatusHistoryEntry": StatusHistoryEntry},
)
_WITH_APPLICATION = {"tqr.application.v1.ApplicationView": Application}
SubmitResult = restating(wizard_pb2.SubmitApplicationResponse, name="SubmitResult", using=_WITH_APPLICATION)
ApplicationList = restating(applications_pb2.ListMyApplicationsResponse, name="ApplicationList",
                            using=_WITH_APPLICATION)
EditResult = restating(applications_pb2.EditApplicationResponse, name="EditResult", using=_WITH_APPLICATION)
Messages = restating(applications_pb2.ListMessagesResponse, name="Messages",
                     using={"tqr.application.v1.Message": restating(views_pb2.Message, name="ApplicationMessage")})

Inbox = restating(notification_pb2.ListInboxMessagesResponse, name="Inbox")
Unread = restating(notification_pb2.MarkInboxMessageReadResponse, name="Unread")
