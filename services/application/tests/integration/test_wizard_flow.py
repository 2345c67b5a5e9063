"""The whole wizard through gRPC against PostgreSQL, with time moved across window boundaries."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from servicekit import errors
from tqr.application.v1 import applications_pb2, staff_pb2, wizard_pb2
from tqr_application.adapters import orm


async def test_r_id_9_unverified_applicant_cannot_start(app, h):
    who = h.new_applicant(verified=False)
    refused = await app.refused(app.wizard.StartApplication, wizard_pb2.StartApplicationRequest(identity=who.identity),
                                who.actor)
    assert isinstance(refused, errors.RuleViolation) and refused.code == "R-ID-9"


async def test_r_id_9_identity_of_another_account_is_refused(app, h):
    who, other = h.new_applicant(), h.new_applicant()
    refused = await app.refused(app.wizard.StartApplication,
                                wizard_pb2.StartApplicationRequest(identity=other.identity), who.actor)
    assert isinstance(refused, errors.PermissionDenied)


async def test_r_wiz_1_step_two_refused_before_three_seconds(app, h):
    who = h.new_applicant()
    await app.start_wizard(who)
    app.clock.advance(seconds=2.5)
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        must_read=wizard_pb2.MustReadStep()), who.actor)
    assert refused.code == "R-WIZ-1"
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        terms=wizard_pb2.TermsStep(accept=True)), who.actor)
    assert refused.code == "R-WIZ-STEP_ORDER"  # step 2 cannot be saved before step 1
    app.clock.advance(seconds=0.6)
    reply = await app.save(who, must_read=wizard_pb2.MustReadStep())
    assert reply.draft.current_step == 2


async def test_r_wiz_2_terms_must_be_accepted(app, h):
    who = h.new_applicant()
    await app.start_wizard(who)
    app.clock.advance(seconds=4)
    await app.save(who, must_read=wizard_pb2.MustReadStep())
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        terms=wizard_pb2.TermsStep(accept=False)), who.actor)
    assert refused.code == "R-WIZ-2"
    assert (await app.save(who, terms=wizard_pb2.TermsStep(accept=True))).draft.current_step == 3


async def _at_step_three(app, h, who):
    await app.start_wizard(who)
    app.clock.advance(seconds=4)
    await app.save(who, must_read=wizard_pb2.MustReadStep())
    await app.save(who, terms=wizard_pb2.TermsStep(accept=True))


async def test_r_wiz_3_unusual_number_warns_and_may_be_overridden(app, h):
    who = h.new_applicant()
    await _at_step_three(app, h, who)
    step = wizard_pb2.CertificateLookupStep(certificate_number="2015ABC", document_number=who.identity.document_number)
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(certificate_lookup=step),
                                who.actor)
    assert isinstance(refused, errors.RuleViolation) and refused.code == "R-WIZ-3"
    step.continue_with_unusual_number = True
    reply = await app.save(who, certificate_lookup=step)
    assert reply.draft.current_step == 4 and reply.draft.unusual_certificate_number
    assert [w.code for w in reply.warnings] == ["R-WIZ-3"]
    assert not reply.draft.certificate.locked


async def test_r_wiz_3_registry_match_fills_and_locks_certificate_with_photo(app, h):
    who = h.new_applicant(document=h.REGISTRY_DOCUMENT, name="王小明")
    await _at_step_three(app, h, who)
    reply = await app.save(who, certificate_lookup=wizard_pb2.CertificateLookupStep(
        certificate_number=h.REGISTRY_CERTIFICATE, document_number=h.REGISTRY_DOCUMENT.lower()))
    cert = reply.draft.certificate
    assert cert.locked and cert.holder_name == "王小明" and cert.certificate_type_code == "PRIMARY"
    assert cert.has_photo and reply.draft.registry_photo == b""  # the photo itself only when asked for
    asked = await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(with_photo=True), who.actor)
    assert asked.draft.registry_photo.startswith(b"\x89PNG") and asked.draft.certificate.has_photo
    # R-WIZ-4: locked data cannot be overwritten by what the client sends.
    reply = await app.save(who, certificate_details=wizard_pb2.CertificateDetailsStep(
        holder_name="别人", certificate_type_code="JUNIOR_SECONDARY", subject_code="CHINESE", issuing_body="x",
        issue_date="2020-01-01", authority_code="110108", teaching_stage_code="PRIMARY", teaching_subject_code="MATH"))
    assert reply.draft.certificate.holder_name == "王小明" and reply.draft.certificate.subject_code == "MATH"


async def test_r_wiz_3_document_number_must_be_the_verified_one(app, h):
    who = h.new_applicant()
    await _at_step_three(app, h, who)
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        certificate_lookup=wizard_pb2.CertificateLookupStep(certificate_number=h.REGISTRY_CERTIFICATE,
                                                            document_number=h.REGISTRY_DOCUMENT)), who.actor)
    assert isinstance(refused, errors.InvalidInput) and refused.problems[0].field == "document_number"


async def test_r_wiz_4_self_filled_fields_are_checked_per_field(app, h):
    who = h.new_applicant()
    await _at_step_three(app, h, who)
    await app.save(who, certificate_lookup=wizard_pb2.CertificateLookupStep(
        certificate_number="20151100000000001", document_number=who.identity.document_number))
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        certificate_details=wizard_pb2.CertificateDetailsStep(authority_code="110108")), who.actor)
    fields = {p.field for p in refused.problems}
    assert {"holder_name", "issuing_body", "issue_date", "certificate_type_code", "subject_code",
            "teaching_stage_code", "teaching_subject_code"} <= fields


@pytest.mark.parametrize(("authority", "words"), [("110101", "尚未设置"), ("110106", "尚未开始"), ("110107", "已经结束")])
async def test_r_plan_2_no_plan_or_outside_the_online_window(app, h, authority, words):
    who = h.new_applicant()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await app.fill_until_point(who, authority=authority)
    problem = h.refusal(caught)
    assert problem.code == "R-PLAN-2" and words in problem.message_zh
    if authority != "110101":
        assert "2026年" in problem.message_zh  # the window's dates


async def test_r_plan_2_window_opens_when_the_clock_reaches_it(app, h):
    who = h.new_applicant()
    app.clock.advance(5 * h.DAY)  # 110106 opens now
    await app.fill_until_point(who, authority="110106")
    assert (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft.current_step == 5


async def test_r_plan_3_plan_without_points(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who, authority="110102")
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        point=wizard_pb2.PointStep(point_code="11010201")), who.actor)
    assert refused.code == "R-PLAN-3"


async def test_r_wiz_5_points_listed_with_windows_and_one_must_be_chosen(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who)
    draft = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft
    assert [p.point_code for p in draft.plan.points] == ["11010801", "11010802"]
    assert draft.plan.points[0].address and draft.plan.points[0].scope
    assert draft.plan.points[1].confirm_start.ToDatetime().date() == (h.START + h.DAY).date()
    for code in ("", "11010803", "11010501"):  # none, not in the plan, another authority's
        refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
            point=wizard_pb2.PointStep(point_code=code)), who.actor)
        assert refused.code == "R-WIZ-5"


async def test_r_wiz_6_notes_must_be_read(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who)
    await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        notes=wizard_pb2.NotesStep(read=False)), who.actor)
    assert refused.code == "R-WIZ-6"


async def _at_materials(app, h, who, point_code="11010801"):
    await app.fill_until_point(who)
    await app.save(who, point=wizard_pb2.PointStep(point_code=point_code))
    await app.save(who, notes=wizard_pb2.NotesStep(read=True))


async def test_r_wiz_7_every_field_required_with_per_field_errors(app, h):
    who = h.new_applicant()
    await _at_materials(app, h, who)
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        materials=wizard_pb2.MaterialsStep(materials=h.materials(email="bad", school="", work_history=[],
                                                               ethics_assessment="", continuing_education_hours=-1))),
        who.actor)
    assert {"email", "school", "work_history", "ethics_assessment", "continuing_education_hours"} <= {
        p.field for p in refused.problems}


async def test_r_wiz_7_submit_refused_after_the_online_window_closes(app, h):
    who = h.new_applicant()
    # A point whose confirmation window outlasts the online window (11010801's ends on day 5; an
    # application to it is refused for that from then on, R-WIZ-5).
    await _at_materials(app, h, who, point_code="11010802")
    await app.save(who, materials=wizard_pb2.MaterialsStep(materials=h.materials()))
    app.clock.set(h.START + 10 * h.DAY + h.DAY / 2)  # past the 110108 online window
    refused = await app.refused(app.wizard.SubmitApplication, wizard_pb2.SubmitApplicationRequest(
        idempotency_key="k1", identity=who.identity), who.actor)
    assert refused.code == "R-WIZ-7"
    app.clock.set(h.START + 10 * h.DAY)  # exactly the end: still inside (closed interval)
    reply = await app.call(app.wizard.SubmitApplication, wizard_pb2.SubmitApplicationRequest(
        idempotency_key="k1", identity=who.identity), who.actor)
    assert reply.application_number


async def test_r_wiz_8_a_permit_is_masked_by_the_one_rule_on_every_screen(app, h):
    """The done page, the draft and the staff list show an 8-character permit keeping 3 characters,
    as identity's pages and events do (it showed ******** here before)."""
    who = h.new_applicant(document="Ｈ1234567", document_type="HKMO_PERMIT")
    reply = await app.submit_new(who)
    draft = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft
    point = h.staff("POINT_STAFF", "11010801")
    listed = await app.call(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(
        application_number=reply.application_number), point)
    found = await app.call(app.staff.FindApplication, staff_pb2.FindApplicationRequest(query="H1234567"), point)
    shown = {reply.document_number_masked, reply.application.document_number_masked, draft.document_number_masked,
             *(a.document_number_masked for a in (*listed.applications, *found.applications))}
    assert shown == {"H*****67"} and len(listed.applications) == len(found.applications) == 1


async def test_r_wiz_7_incomplete_draft_cannot_be_submitted(app, h):
    who = h.new_applicant()
    await _at_materials(app, h, who)
    refused = await app.refused(app.wizard.SubmitApplication, wizard_pb2.SubmitApplicationRequest(
        idempotency_key="k", identity=who.identity), who.actor)
    assert refused.code == "R-WIZ-7"


async def test_r_wiz_8_done_page_data_and_application_number(app, h):
    who = h.new_applicant()
    reply = await app.submit_new(who)
    assert reply.applicant_name == who.identity.name and reply.email == "teacher@example.cn"
    number = who.identity.document_number
    assert reply.document_number_masked == f"{number[:4]}{'*' * 10}{number[-4:]}"
    assert reply.application_number.startswith("2026110108") and len(reply.application_number) == 18
    assert "password" not in str(reply).lower()
    draft = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft
    assert draft.submitted and draft.current_step == 8 and draft.application_number == reply.application_number
    second = await app.submit_new()
    assert int(second.application_number[10:16]) == int(reply.application_number[10:16]) + 1
    assert await app.events("ApplicationSubmitted", reply.application_id) == 1


async def test_r_wiz_draft_resumes_on_another_device_and_goes_back(app, h):
    who = h.new_applicant()
    await _at_materials(app, h, who)
    # Another device: same account, nothing but the Actor; the draft is where it was left.
    draft = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft
    assert draft.current_step == 7 and draft.point_code == "11010801"
    back = (await app.call(app.wizard.GoBack, wizard_pb2.GoBackRequest(to_step=5), who.actor)).draft
    assert back.current_step == 5 and back.point_code == "11010801"  # kept
    await app.save(who, point=wizard_pb2.PointStep(point_code="11010802"))
    refused = await app.refused(app.wizard.GoBack, wizard_pb2.GoBackRequest(to_step=8), who.actor)
    assert refused.code == "R-WIZ-STEP_ORDER"
    # Someone else's account sees no draft at all.
    refused = await app.refused(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), h.new_applicant().actor)
    assert isinstance(refused, errors.NotFound)


async def test_r_wiz_9_ten_concurrent_identical_submits_make_one_application_and_one_event(app, h):
    who = h.new_applicant()
    await _at_materials(app, h, who)
    await app.save(who, materials=wizard_pb2.MaterialsStep(materials=h.materials()))
    request = wizard_pb2.SubmitApplicationRequest(idempotency_key=uuid.uuid4().hex, identity=who.identity)
    replies = await asyncio.gather(*(app.call(app.wizard.SubmitApplication, request, who.actor) for _ in range(10)))
    assert len({r.application_id for r in replies}) == 1
    assert len({r.application_number for r in replies}) == 1
    assert await app.count(orm.applications, orm.applications.c.applicant_id == who.actor.subject_id) == 1
    assert await app.events("ApplicationSubmitted", replies[0].application_id) == 1
    assert await app.published("ApplicationSubmitted", replies[0].application_id) == 1


async def test_r_wiz_9_one_live_application_per_certificate_per_plan_and_applicant(app, h):
    who = h.new_applicant()
    first = await app.submit_new(who, certificate="20151100000000777")
    refused = None
    try:
        await app.submit_new(who, certificate="20151100000000777")
    except grpc.aio.AioRpcError as exc:
        from servicekit.rpc.errors import from_rpc_error
        refused = from_rpc_error(exc)
    assert refused is not None and refused.code == "R-WIZ-9"
    # The key still belongs to the first application.
    owner = await app.count(orm.live_applications, orm.live_applications.c.application_id == first.application_id)
    assert owner == 1
    # Another applicant's claim to the same number is not blocked (R-WIZ-10).
    other = await app.submit_new(certificate="20151100000000777")
    assert other.application_id != first.application_id


async def test_r_wiz_9_database_constraint_holds_without_the_service(app, h):
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError
    first = await app.submit_new()
    with pytest.raises(IntegrityError):
        async with app.ctx.transaction() as session:
            await session.execute(insert(orm.live_applications).values(
                plan_id=first.application.plan_id, certificate_number=first.certificate_number,
                applicant_id=first.application.applicant_id, application_id=str(uuid.uuid4())))


async def test_r_wiz_9_withdrawn_application_frees_the_certificate(app, h):
    who = h.new_applicant()
    first = await app.submit_new(who, certificate="20151100000000888")
    await app.call(app.applicant.WithdrawApplication, applications_pb2.WithdrawApplicationRequest(
        application_id=first.application_id, reason="选错了"), who.actor)
    again = await app.submit_new(who, certificate="20151100000000888")
    assert again.application_id != first.application_id
