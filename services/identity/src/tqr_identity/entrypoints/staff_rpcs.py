"""RPCs of staff administration and staff enrolment (R-STAFF-5); the service layer decides who may."""

from __future__ import annotations

import grpc
from tqr.common.v1 import audit_pb2
from tqr.identity.v1 import identity_pb2

from tqr_identity.entrypoints import mappers
from tqr_identity.service_layer import audit_log, email_correction, staff_admin, staff_enrolment
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.staff_admin import StaffDetails

Ctx = grpc.aio.ServicerContext


class StaffRpcs:
    ctx: IdentityContext

    async def ListStaff(self, request: identity_pb2.ListStaffRequest, context: Ctx
                        ) -> identity_pb2.ListStaffResponse:
        found = await staff_admin.list_staff(self.ctx, mappers.caller(context))
        return identity_pb2.ListStaffResponse(staff=[mappers.staff_member(s) for s in found])

    async def CreateStaff(self, request: identity_pb2.CreateStaffRequest, context: Ctx
                          ) -> identity_pb2.StaffSetupCodeResponse:
        details = StaffDetails(request.username, request.display_name, mappers.role_code(request.role),
                               request.organisation_code)
        return mappers.setup_code(await staff_admin.create_staff(self.ctx, mappers.caller(context), details))

    async def UpdateStaff(self, request: identity_pb2.UpdateStaffRequest, context: Ctx) -> identity_pb2.StaffMember:
        details = StaffDetails("", request.display_name, mappers.role_code(request.role), request.organisation_code)
        return mappers.staff_member(await staff_admin.update_staff(self.ctx, mappers.caller(context),
                                                                   request.staff_id, details))

    async def SetStaffActive(self, request: identity_pb2.SetStaffActiveRequest, context: Ctx
                             ) -> identity_pb2.StaffMember:
        return mappers.staff_member(await staff_admin.set_staff_active(self.ctx, mappers.caller(context),
                                                                       request.staff_id, request.active))

    async def ResetStaffPassword(self, request: identity_pb2.ResetStaffRequest, context: Ctx
                                 ) -> identity_pb2.StaffSetupCodeResponse:
        return mappers.setup_code(await staff_admin.reset_staff_password(self.ctx, mappers.caller(context),
                                                                         request.staff_id))

    async def ResetStaffTotp(self, request: identity_pb2.ResetStaffRequest, context: Ctx
                             ) -> identity_pb2.StaffSetupCodeResponse:
        return mappers.setup_code(await staff_admin.reset_staff_totp(self.ctx, mappers.caller(context),
                                                                     request.staff_id))

    async def UnlockApplicantSignIn(self, request: identity_pb2.UnlockApplicantSignInRequest, context: Ctx
                                    ) -> identity_pb2.UnlockApplicantSignInResponse:
        account_id = await staff_admin.unlock_applicant(self.ctx, mappers.caller(context),
                                                        mappers.document_type_code(request.document_type),
                                                        request.document_number)
        return identity_pb2.UnlockApplicantSignInResponse(account_id=account_id)

    async def CorrectAccountEmail(self, request: identity_pb2.CorrectAccountEmailRequest, context: Ctx
                                  ) -> identity_pb2.CorrectAccountEmailResponse:
        done = await email_correction.correct_email(self.ctx, mappers.caller(context), email_correction.Correction(
            account_id=request.account_id, new_email=request.new_email, reason=request.reason,
            application_number=request.application_number, organisation_name=request.organisation_name))
        return identity_pb2.CorrectAccountEmailResponse(account_id=done.account_id, masked_email=done.masked_email,
                                                        changed=done.changed)

    async def StartStaffEnrolment(self, request: identity_pb2.StartStaffEnrolmentRequest, context: Ctx
                                  ) -> identity_pb2.StartStaffEnrolmentResponse:
        started = await staff_enrolment.start_enrolment(self.ctx, username=request.username,
                                                        setup_code=request.setup_code, client_id=request.client_id)
        return identity_pb2.StartStaffEnrolmentResponse(enrolment_token=started.enrolment_token,
                                                        totp_uri=started.totp_uri, totp_secret=started.totp_secret)

    async def FinishStaffEnrolment(self, request: identity_pb2.FinishStaffEnrolmentRequest, context: Ctx
                                   ) -> identity_pb2.FinishStaffEnrolmentResponse:
        done = await staff_enrolment.finish_enrolment(
            self.ctx, enrolment_token=request.enrolment_token, new_password=request.new_password,
            new_password_confirm=request.new_password_confirm, totp_code=request.totp_code,
            client_id=request.client_id)
        signed = done.signed_in
        return identity_pb2.FinishStaffEnrolmentResponse(
            signed_in=identity_pb2.SignInResponse(session_token=signed.session_token, subject_id=signed.subject_id,
                                                  kind=signed.kind.value, roles=mappers.roles(signed.roles)),
            recovery_codes=list(done.recovery_codes))

    async def SearchStaffAudit(self, request: audit_pb2.AuditQuery, context: Ctx) -> audit_pb2.AuditPage:
        rows, token = await audit_log.search(self.ctx, mappers.caller(context), mappers.audit_query(request))
        return mappers.audit_page(rows, token)
