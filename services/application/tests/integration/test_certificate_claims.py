"""Certificates belong to their holders (R-WIZ-10), one live application per certificate, plan and
applicant (R-WIZ-9), and every typed number in one canonical form (R-WIZ-11), over gRPC against the
real service."""

from __future__ import annotations

import uuid
from datetime import date

import grpc
import pytest
from servicekit import errors
from sqlalchemy import select
from tqr.application.v1 import applications_pb2, staff_pb2, wizard_pb2
from tqr.common.v1.vocabulary_pb2 import GENDER_FEMALE
from tqr_application.adapters import orm
from tqr_application.reference_data import ReferenceKind
from tqr_application.reference_data.id_numbers import make_id_number
from tqr_application.service_layer.reference import import_batch

POINT = "11010801"


def unknown_number() -> str:
    return f"2015110{uuid.uuid4().int % 10**10:010d}"


async def add_to_registry(app, h, certificate: str, document: str) -> None:
    """The registry learns a certificate (a province's import)."""
    row = (f"{certificate},赵老师,ID_CARD,{document},PRIMARY,MATH,北京市海淀区教育委员会,2010-07-01,F,"
           f"{h.born(document)},110000,\n")
    files = {ReferenceKind.REGISTRY_CERTIFICATES: h.reference_files()[ReferenceKind.REGISTRY_CERTIFICATES]
             .splitlines(keepends=True)[0] + row}
    async with app.ctx.transaction() as session:
        result = await import_batch(session, app.ctx, files)
    assert result.ok, result.errors


async def at_step_3(app, who) -> None:
    await app.start_wizard(who)
    app.clock.advance(seconds=4)
    await app.save(who, must_read=wizard_pb2.MustReadStep())
    await app.save(who, terms=wizard_pb2.TermsStep(accept=True))


async def staff_view(app, h, application_id: str):
    return (await app.call(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
        application_id=application_id), h.staff("POINT_STAFF", POINT))).application


async def conflicts(app, h) -> set[str]:
    found = await app.call(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(
        certificate_conflicts_only=True), h.staff("AUTHORITY_ADMIN", "110108"))
    assert all(a.certificate_claimed_by_another for a in found.applications)
    return {a.application_id for a in found.applications}


async def test_r_wiz_10_a_registry_number_is_refused_to_anyone_but_its_holder(app, h):
    squatter = h.new_applicant()
    await at_step_3(app, squatter)
    for typed in (h.REGISTRY_CERTIFICATE, h.full_width(h.REGISTRY_CERTIFICATE), " 2010 1100 1220 00017 "):
        refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
            certificate_lookup=wizard_pb2.CertificateLookupStep(certificate_number=typed)), squatter.actor)
        assert refused.code == "R-WIZ-10", typed
        assert "联系您的注册机构" in refused.message_zh and "contact your registration authority" in refused.message_en
    # Overriding warnings changes nothing: it is a refusal, not a warning.
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        certificate_lookup=wizard_pb2.CertificateLookupStep(certificate_number=h.REGISTRY_CERTIFICATE),
        override_warnings=["R-WIZ-3", "R-WIZ-10"]), squatter.actor)
    assert refused.code == "R-WIZ-10"
    draft = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), squatter.actor)).draft
    assert draft.certificate.certificate_number == "" and draft.current_step == 3


async def test_r_wiz_11_the_holder_typing_full_width_digits_gets_the_registry_record(app, h):
    holder = h.new_applicant(document=h.REGISTRY_DOCUMENT, name="王小明")
    await at_step_3(app, holder)
    draft = (await app.save(holder, certificate_lookup=wizard_pb2.CertificateLookupStep(
        certificate_number=h.full_width(h.REGISTRY_CERTIFICATE)))).draft
    assert draft.certificate.certificate_number == h.REGISTRY_CERTIFICATE
    assert draft.certificate.locked and draft.certificate.has_photo and not draft.unusual_certificate_number


async def test_r_wiz_11_full_width_and_lower_case_numbers_are_checked_in_canonical_form(app, h):
    who = h.new_applicant()
    await at_step_3(app, who)
    # 17 full-width digits: a usual number, no R-WIZ-3 warning; stored in ASCII.
    number = unknown_number()
    draft = (await app.save(who, certificate_lookup=wizard_pb2.CertificateLookupStep(
        certificate_number=h.full_width(number)))).draft
    assert draft.certificate.certificate_number == number and not draft.unusual_certificate_number
    # 16 digits typed full width still warn (R-WIZ-3), and letters are folded to upper case.
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        certificate_lookup=wizard_pb2.CertificateLookupStep(certificate_number=h.full_width("2015abc123456789"))),
        who.actor)
    assert refused.code == "R-WIZ-3"
    draft = (await app.save(who, certificate_lookup=wizard_pb2.CertificateLookupStep(
        certificate_number=h.full_width("2015abc123456789")), override_warnings=["R-WIZ-3"])).draft
    assert draft.certificate.certificate_number == "2015ABC123456789"
    # The account's document number typed full width is the account's own.
    await app.save(who, certificate_lookup=wizard_pb2.CertificateLookupStep(
        certificate_number=number, document_number=h.full_width(who.identity.document_number)))
    # A Chinese character is not folded into anything: refused, not dropped.
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        certificate_lookup=wizard_pb2.CertificateLookupStep(certificate_number="2015１１０证书")), who.actor)
    assert refused.code == "R-WIZ-3" and refused.problems[0].field == "certificate_number"


async def test_r_wiz_10_an_unknown_number_claimed_by_two_applicants_goes_on_marked_for_the_point(app, h):
    number = unknown_number()
    squatter, holder = h.new_applicant(), h.new_applicant()
    first = await app.submit_new(squatter, certificate=number)
    # The real holder is not refused: their application goes on too (typed full width, even).
    second = await app.submit_new(holder, certificate=h.full_width(number))
    assert second.certificate_number == number == first.certificate_number
    alone = await app.submit_new()
    for done in (first, second):
        assert (await staff_view(app, h, done.application_id)).certificate_claimed_by_another
    assert not (await staff_view(app, h, alone.application_id)).certificate_claimed_by_another
    conflicts_of = await conflicts(app, h)
    assert {first.application_id, second.application_id} <= conflicts_of and alone.application_id not in conflicts_of
    # Applicants do not see the mark (it is for the point).
    mine = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=second.application_id), holder.actor)).application
    assert not mine.certificate_claimed_by_another
    # The point decides with the paper certificate: the squatter is not eligible; the conflict is over.
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=first.application_id, action="MARK_NOT_ELIGIBLE", reason="证书原件不是本人的"),
        h.staff("POINT_STAFF", POINT))
    assert not (await staff_view(app, h, second.application_id)).certificate_claimed_by_another
    assert not {first.application_id, second.application_id} & await conflicts(app, h)


async def test_r_wiz_10_a_withdrawal_ends_the_conflict(app, h):
    number = unknown_number()
    squatter = h.new_applicant()
    first = await app.submit_new(squatter, certificate=number)
    second = await app.submit_new(certificate=number)
    await app.call(app.applicant.WithdrawApplication, applications_pb2.WithdrawApplicationRequest(
        application_id=first.application_id, reason="填错了"), squatter.actor)
    assert not (await staff_view(app, h, second.application_id)).certificate_claimed_by_another


async def test_r_wiz_9_one_applicant_one_live_application_per_certificate_however_typed(app, h):
    who = h.new_applicant()
    number = unknown_number()
    first = await app.submit_new(who, certificate=number)
    for typed in (number, h.full_width(number), f"{number[:4]} {number[4:]}"):
        await app.fill_until_point(who, certificate=typed)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await app.submit_from_point(who)
        refused = h.refusal(caught)
        assert refused.code == "R-WIZ-9", typed
        assert "撤回" in refused.message_zh
    t = orm.applications
    async with app.ctx.sessions() as session:
        rows = (await session.execute(select(t.c.id).where(t.c.applicant_id == who.actor.subject_id))).all()
    assert [r.id for r in rows] == [first.application_id]


async def test_r_wiz_10_submission_checks_the_registry_again(app, h):
    who = h.new_applicant()
    number = unknown_number()
    await app.fill_until_point(who, certificate=number)
    # Meanwhile the province imports the certificate: it is somebody else's.
    await add_to_registry(app, h, number, make_id_number("110105", date(1980, 2, 3), 12))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await app.submit_from_point(who)
    assert h.refusal(caught).code == "R-WIZ-10"
    assert await app.count(orm.applications, orm.applications.c.applicant_id == who.actor.subject_id) == 0
    assert await app.count(orm.live_applications, orm.live_applications.c.certificate_number == number) == 0


async def test_r_wiz_10_an_edit_after_submission_cannot_take_another_holders_number(app, h):
    who = h.new_applicant()
    done = await app.submit_new(who)
    edit = applications_pb2.CertificateEdit(
        certificate_number=h.full_width(h.REGISTRY_CERTIFICATE), holder_name="李老师", certificate_type_code="PRIMARY",
        subject_code="MATH", issuing_body="北京市海淀区教育委员会", issue_date="2015-07-01")
    refused = await app.refused(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, certificate=edit), who.actor)
    assert refused.code == "R-WIZ-10"
    view = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=done.application_id), who.actor)).application
    assert view.certificate.certificate_number == done.certificate_number and view.version == 1


async def test_r_wiz_11_an_edit_typed_full_width_is_stored_canonical_and_matches_the_registry(app, h):
    who = h.new_applicant(document=h.REGISTRY_DOCUMENT, name="王小明")
    done = await app.submit_new(who)
    reply = await app.call(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, certificate=applications_pb2.CertificateEdit(
            certificate_number=h.full_width(h.REGISTRY_CERTIFICATE), holder_name="王小明",
            certificate_type_code="PRIMARY", subject_code="MATH", issuing_body="x", issue_date="2011-01-01")),
        who.actor)
    assert reply.replaced_from_registry and reply.application.certificate.locked
    assert reply.application.certificate.certificate_number == h.REGISTRY_CERTIFICATE
    live = orm.live_applications
    assert await app.count(live, live.c.application_id == done.application_id,
                           live.c.certificate_number == h.REGISTRY_CERTIFICATE) == 1


async def test_r_wiz_11_staff_find_numbers_typed_full_width(any_app, h):
    app = any_app
    who = h.new_applicant()
    done = await app.submit_new(who)
    point = h.staff("POINT_STAFF", POINT)
    number = done.application_number
    for typed in (h.full_width(number), f"{number[:4]} {h.full_width(number[4:10])}-{number[10:]}",
                  h.full_width(who.identity.document_number.lower())):
        found = await app.call(app.staff.FindApplication, staff_pb2.FindApplicationRequest(query=typed), point)
        assert [a.application_id for a in found.applications] == [done.application_id], typed
    listed = await app.call(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(
        application_number=h.full_width(number)), point)
    assert [a.application_id for a in listed.applications] == [done.application_id]


async def test_r_wiz_3_r_app_6_a_17_character_number_is_kept_whole_and_18_are_refused(app, h):
    """On PostgreSQL: the longest number accepted (17, what the registry column holds; letters make
    it unusual, continued past the warning) is stored whole; 18 characters are refused at step 3
    with a bilingual message naming the limit, and the draft keeps what it had."""
    who = h.new_applicant()
    number = "2015" + "1" * 7 + "ABCDEF"
    assert len(number) == 17
    await at_step_3(app, who)
    too_long = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        certificate_lookup=wizard_pb2.CertificateLookupStep(certificate_number=number + "7"),
        override_warnings=["R-WIZ-3"]), who.actor)
    assert isinstance(too_long, errors.InvalidInput)
    [problem] = too_long.problems
    assert problem.field == "certificate_number"
    assert "最多 17 位" in problem.message_zh and "at most 17 characters" in problem.message_en
    await app.save(who, certificate_lookup=wizard_pb2.CertificateLookupStep(certificate_number=number),
                   override_warnings=["R-WIZ-3"])
    await app.save(who, certificate_details=wizard_pb2.CertificateDetailsStep(
        holder_name=who.identity.name, certificate_type_code="PRIMARY", subject_code="MATH", gender=GENDER_FEMALE,
        birth_date=h.born(who.identity.document_number), issuing_body="北京市海淀区教育委员会",
        issue_date="2015-07-01", authority_code="110108", teaching_stage_code="PRIMARY",
        teaching_subject_code="MATH"))
    done = await app.submit_from_point(who)
    assert done.certificate_number == number
    async with app.ctx.sessions() as session:
        stored = await session.scalar(select(orm.applications.c.certificate_number).where(
            orm.applications.c.id == done.application_id))
    assert stored == number
