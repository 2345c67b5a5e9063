"""WizardService: the draft, one step per save, submission (R-WIZ-1..9)."""

from __future__ import annotations

from typing import Any

import grpc
from servicekit.errors import FieldProblem, InvalidInput
from servicekit.masking import mask_document_number as mask
from tqr.application.v1 import views_pb2 as v
from tqr.application.v1 import wizard_pb2 as pb
from tqr.application.v1 import wizard_pb2_grpc as rpc

from tqr_application.domain.wizard import UNUSUAL_CERTIFICATE_NUMBER, WizardWarning
from tqr_application.entrypoints import eligibility_mapping, mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import sections, submission, wizard
from tqr_application.service_layer.context import ServiceContext

S = wizard.Step
STEP_OF_FIELD = {
    "must_read": S.MUST_READ,
    "terms": S.TERMS,
    "certificate_lookup": S.CERTIFICATE_AND_ID,
    "certificate_details": S.CERTIFICATE_DATA_AND_AUTHORITY,
    "point": S.CONFIRMATION_POINT,
    "notes": S.NOTES,
    "materials": S.MATERIALS,
}


def identity(message: v.ApplicantIdentity) -> wizard.Identity:
    return wizard.Identity(
        account_id=message.account_id,
        name=message.name,
        document_type=mappers.document_type_code(message.document_type),
        document_number=message.document_number,
        real_name_verified=message.real_name_verified,
        gender=mappers.gender_letter(message.gender),
        birth_date=message.birth_date,
        ethnicity=message.ethnicity,
        mobile_masked=message.mobile_masked,
    )


def step_values(request: pb.SaveWizardStepRequest) -> tuple[int, dict[str, Any], list[str]]:
    """(step, the values in the domain's field names, warnings overridden)."""
    which = request.WhichOneof("step")
    if which is None:
        raise InvalidInput([FieldProblem("step", "R-WIZ", "缺少步骤内容", "The step is missing")])
    overrides = list(request.override_warnings)
    if which == "materials":
        return wizard.Step.MATERIALS, mappers.materials_dict(request.materials.materials), overrides
    message = getattr(request, which)
    values: dict[str, Any] = {f.name: getattr(message, f.name) for f in message.DESCRIPTOR.fields}
    if which == "certificate_details":
        values["gender"] = mappers.gender_letter(request.certificate_details.gender)
    if which == "notes":
        values["acknowledged"] = values.pop("read")
    if which == "certificate_lookup" and values.pop("continue_with_unusual_number"):
        overrides.append(UNUSUAL_CERTIFICATE_NUMBER)
    return STEP_OF_FIELD[which], values, overrides


def _warning(w: WizardWarning) -> pb.Warning:
    return pb.Warning(
        code=w.warning_id, message_zh=w.message_zh, message_en=w.message_en, field=w.field, step=int(w.step)
    )


def draft_response(result: wizard.DraftView) -> pb.DraftResponse:
    d = result.draft
    first_open = d.first_unfinished()
    out = pb.Draft(
        current_step=int(d.current_step),
        furthest_step=int(first_open or wizard.Step.MATERIALS),
        terms_accepted=d.terms_accepted_at is not None,
        document_number_masked=mask(result.account.document_number),
        unusual_certificate_number=UNUSUAL_CERTIFICATE_NUMBER in d.overridden_warnings,
        authority_name=result.authority_name,
        point_code=d.point_code or "",
        notes_read=d.notes_read_at is not None,
        registry_photo=result.photo or b"",
        applicant_name=result.account.name,
        must_read_seconds_left=result.seconds_left,
        submitted=d.submitted,
        application_number=d.submission.application_number if d.submission else "",
        overridden_warnings=list(d.overridden_warnings),
        reference_version=result.reference_version,
    )
    if d.must_read_shown_at is not None:
        out.must_read_shown_at.CopyFrom(mappers.ts(d.must_read_shown_at))
    if d.certificate_number is not None:
        out.certificate.certificate_number = d.certificate_number.certificate_number
    if d.certificate is not None:
        record = sections.certificate_record(out.certificate.certificate_number, d.certificate)
        # has_photo from the registry record at the lookup; the photo itself only when asked for
        out.certificate.CopyFrom(mappers.certificate(record, result.names, d.certificate.has_photo))
    if d.authority is not None:
        out.authority_code = d.authority.authority_code
        out.teaching_stage_code = d.authority.teaching_stage_code
        out.teaching_subject_code = d.authority.teaching_subject_code
    if result.plan is not None:
        out.plan.CopyFrom(mappers.plan(result.plan, result.authority_name, result.points))
    if d.materials is not None:
        out.materials.CopyFrom(mappers.materials_of(d.materials))
    if result.booking is not None:
        out.booking.CopyFrom(mappers.slot_booking(result.booking))
    out.point_slots.extend(mappers.appointment_slot(s) for s in result.point_slots)
    return pb.DraftResponse(
        draft=out,
        warnings=[_warning(w) for w in result.overridden],
        cleared=[
            pb.Warning(code=str(int(c.step)), message_zh=c.message_zh, message_en=c.message_en, step=int(c.step))
            for c in result.cleared
        ],
    )


class WizardServicer(rpc.WizardServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def StartApplication(
        self, request: pb.StartApplicationRequest, context: grpc.aio.ServicerContext
    ) -> pb.DraftResponse:
        return draft_response(await wizard.start(self.ctx, caller(context), identity(request.identity)))

    async def GetDraft(self, request: pb.GetDraftRequest, context: grpc.aio.ServicerContext) -> pb.DraftResponse:
        return draft_response(await wizard.get(self.ctx, caller(context), with_photo=request.with_photo))

    async def SaveWizardStep(
        self, request: pb.SaveWizardStepRequest, context: grpc.aio.ServicerContext
    ) -> pb.DraftResponse:
        step, values, overrides = step_values(request)
        return draft_response(await wizard.save_step(self.ctx, caller(context), step, values, overrides))

    async def GoBack(self, request: pb.GoBackRequest, context: grpc.aio.ServicerContext) -> pb.DraftResponse:
        return draft_response(await wizard.go_back(self.ctx, caller(context), request.to_step))

    async def DiscardDraft(
        self, request: pb.DiscardDraftRequest, context: grpc.aio.ServicerContext
    ) -> pb.DiscardDraftResponse:
        await wizard.discard(self.ctx, caller(context))
        return pb.DiscardDraftResponse()

    async def CheckEligibility(
        self, request: pb.CheckEligibilityRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckEligibilityResponse:
        report = await eligibility_mapping.check_draft(self.ctx, caller(context))
        return pb.CheckEligibilityResponse(report=report)

    async def SubmitApplication(
        self, request: pb.SubmitApplicationRequest, context: grpc.aio.ServicerContext
    ) -> pb.SubmitApplicationResponse:
        done = await submission.submit(
            self.ctx, caller(context), identity(request.identity), request.idempotency_key, request.override_warnings
        )
        view = mappers.application(done.details)
        return pb.SubmitApplicationResponse(
            application_id=view.application_id,
            application_number=view.application_number,
            applicant_name=view.applicant_name,
            document_number_masked=view.document_number_masked,
            certificate_number=view.certificate.certificate_number,
            email=done.email,
            application=view,
        )
