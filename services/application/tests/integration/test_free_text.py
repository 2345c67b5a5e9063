"""Free text refuses NUL, bidi overrides and other control characters (``servicekit.text``): a 422-kind
refusal naming the field, nothing stored, no fault — on SQLite and on PostgreSQL, where a NUL in
text was a 500."""

from __future__ import annotations

from servicekit import errors
from tqr.application.v1 import applications_pb2, staff_pb2, status_pb2, views_pb2, wizard_pb2
from tqr.common.v1.vocabulary_pb2 import GENDER_FEMALE
from tqr_application.adapters import orm

NUL, RLO, LRI = "\x00", "\u202e", "\u2066"


def fields_of(refused: errors.ServiceError) -> set[str]:
    assert isinstance(refused, errors.InvalidInput), refused
    assert all(p.code == "UNSAFE_TEXT" for p in refused.problems), refused.problems
    return {p.field for p in refused.problems}


async def test_unsafe_text_in_wizard_steps_is_refused_by_field_and_not_stored(any_app, h):
    app = any_app
    who = h.new_applicant()
    await app.fill_until_point(who)
    await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    await app.save(who, notes=wizard_pb2.NotesStep(read=True))
    before = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft

    details = wizard_pb2.CertificateDetailsStep(
        holder_name=f"李{NUL}老师", certificate_type_code="PRIMARY", subject_code="MATH", gender=GENDER_FEMALE,
        birth_date=h.born(who.identity.document_number), issuing_body=f"北京市{RLO}会员委育教", issue_date="2015-07-01",
        authority_code="110108", teaching_stage_code="PRIMARY", teaching_subject_code="MATH")
    refused = await app.refused(app.wizard.SaveWizardStep,
                                wizard_pb2.SaveWizardStepRequest(certificate_details=details), who.actor)
    assert fields_of(refused) == {"holder_name", "issuing_body"}
    assert "U+0000" in refused.problems[0].message_en and "U+0000" in refused.problems[0].message_zh

    bad = h.materials(school=f"海淀{RLO}学小验实", work_history=[views_pb2.WorkHistoryEntry(
        start="2015-09-01", end="", school="海淀实验小学", post=f"教{NUL}师")])
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        materials=wizard_pb2.MaterialsStep(materials=bad)), who.actor)
    assert fields_of(refused) == {"materials.school", "materials.work_history[0].post"}

    # A single-line field takes no line break either (the service's own reader says so).
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        materials=wizard_pb2.MaterialsStep(materials=h.materials(school="海淀\n实验小学"))), who.actor)
    assert fields_of(refused) == {"school"} and "一行" in refused.problems[0].message_zh

    after = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft
    assert after == before


async def test_unsafe_text_after_submission_and_from_staff_is_refused_and_not_stored(any_app, h):
    app = any_app
    who = h.new_applicant()
    done = await app.submit_new(who)
    refused = await app.refused(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, materials=h.materials(post=f"教师{LRI}")), who.actor)
    assert fields_of(refused) == {"post"}
    refused = await app.refused(app.applicant.WithdrawApplication, applications_pb2.WithdrawApplicationRequest(
        application_id=done.application_id, reason=f"不{NUL}需要"), who.actor)
    assert fields_of(refused) == {"reason"}
    point = h.staff("POINT_STAFF", "11010801")
    refused = await app.refused(app.staff.PostMessage, staff_pb2.PostMessageRequest(
        application_id=done.application_id, body=f"请补交{NUL}材料"), point)
    assert fields_of(refused) == {"body"}
    refused = await app.refused(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=done.application_id, action="MARK_MATERIALS_INCOMPLETE", missing_materials=[f"体检{RLO}"]),
        point)
    assert fields_of(refused) == {"missing_materials[0]"}

    view = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=done.application_id), who.actor)).application
    assert view.version == 1 and view.status.status == status_pb2.SUBMITTED
    assert await app.count(orm.messages, orm.messages.c.application_id == done.application_id) == 0

    # A message may have several lines and tabs (a browser sends a textarea's lines as CRLF).
    posted = await app.call(app.staff.PostMessage, staff_pb2.PostMessageRequest(
        application_id=done.application_id, body="请补交：\r\n1.\t体检表\n2.\t年度考核表"), point)
    assert "\t体检表" in posted.message.body
