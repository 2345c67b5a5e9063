"""After submission: R-APP-1, R-APP-3 (edits, registry replacement, windows), R-APP-4 (messages,
notes), and ownership: another applicant's ids are NOT_FOUND for every method taking one."""

from __future__ import annotations

import pytest
from servicekit import errors
from sqlalchemy import select
from tqr.application.v1 import applications_pb2, plans_pb2, staff_pb2, status_pb2
from tqr.common.v1.vocabulary_pb2 import ROLE_SYSTEM
from tqr_application.adapters import orm


async def test_r_app_1_applicant_sees_authority_point_address_and_window(app, h):
    who = h.new_applicant()
    done = await app.submit_new(who, point="11010802")
    mine = (await app.call(app.applicant.ListMyApplications, applications_pb2.ListMyApplicationsRequest(),
                           who.actor)).applications
    assert [a.application_id for a in mine] == [done.application_id]
    view = mine[0]
    assert view.authority_name == "区110108教育委员会" and view.authority_address
    assert view.point.point_name == "海淀二号确认点" and view.point.address == "北京市海淀区学府路2号"
    assert view.point.confirm_end.ToDatetime().date() == (h.START + 20 * h.DAY).date()
    assert view.materials.school == "海淀实验小学" and view.certificate.certificate_number
    assert "Z" not in view.document_number_masked and "*" in view.document_number_masked


async def test_ownership_another_applicants_ids_are_not_found_everywhere(app, h):
    owner, other = h.new_applicant(), h.new_applicant()
    done = await app.submit_new(owner)
    app_id = done.application_id
    calls = [
        (app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(application_id=app_id)),
        (app.applicant.EditApplication, applications_pb2.EditApplicationRequest(application_id=app_id,
                                                                               email="x@example.cn")),
        (app.applicant.CorrectAuthority, applications_pb2.CorrectAuthorityRequest(
            application_id=app_id, authority_code="110105", point_code="11010501")),
        (app.applicant.WithdrawApplication, applications_pb2.WithdrawApplicationRequest(application_id=app_id)),
        (app.applicant.ListMessages, applications_pb2.ListMessagesRequest(application_id=app_id)),
    ]
    for method, request in calls:
        refused = await app.refused(method, request, other.actor)
        assert isinstance(refused, errors.NotFound), method
    mine = await app.call(app.applicant.ListMyApplications, applications_pb2.ListMyApplicationsRequest(), other.actor)
    assert not mine.applications
    # Staff-only and system-only methods refuse an applicant outright.
    for method, request in [
        (app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(application_id=app_id)),
        (app.staff.PostMessage, staff_pb2.PostMessageRequest(application_id=app_id, body="hi")),
    ]:
        assert isinstance(await app.refused(method, request, owner.actor), errors.PermissionDenied)
    from tqr.application.v1 import form_pb2
    refused = await app.refused(app.form.GetApplicationForForm,
                                form_pb2.GetApplicationForFormRequest(application_id=app_id), owner.actor)
    assert isinstance(refused, errors.PermissionDenied)


async def test_r_app_3_edit_until_the_points_window_ends_then_read_only(app, h):
    who = h.new_applicant()
    done = await app.submit_new(who)  # point 11010801: confirmation ends START + 5 days
    edit = applications_pb2.EditApplicationRequest(application_id=done.application_id, email="new@example.cn")
    view = (await app.call(app.applicant.EditApplication, edit, who.actor)).application
    assert view.materials.email == "new@example.cn" and view.version == 2
    assert set(view.editable_groups) == {"CERTIFICATE", "CONTACT", "MATERIALS", "POINT", "TEACHING"}
    assert await app.events("ApplicationUpdated", done.application_id) == 1
    app.clock.set(h.START + 5 * h.DAY)  # the last instant of the window: still allowed
    await app.call(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, materials=h.materials(school="新学校")), who.actor)
    app.clock.advance(seconds=1)
    refused = await app.refused(app.applicant.EditApplication, edit, who.actor)
    assert refused.code == "R-APP-3"
    view = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=done.application_id), who.actor)).application
    assert not view.editable_groups and view.materials.school == "新学校"


async def test_r_app_6_one_edit_deadline_in_the_view_and_the_submitted_event(app, h):
    # The point's confirmation window (START + 5 days for 11010801) ends after the plan's online
    # window; the view and the event the notifications render both name the point's end.
    from sqlalchemy import select
    from tqr.application.v1 import events_pb2
    from tqr.common.v1 import envelope_pb2

    who = h.new_applicant()
    done = await app.submit_new(who)
    view = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=done.application_id), who.actor)).application
    assert view.edit_until.ToDatetime() == view.point.confirm_end.ToDatetime()
    assert view.edit_until.ToDatetime() != view.online_end.ToDatetime()
    async with app.ctx.sessions() as session:
        raw = await session.scalar(select(orm.outbox.c.envelope).where(
            orm.outbox.c.event_type == "tqr.application.v1.ApplicationSubmitted",
            orm.outbox.c.aggregate_id == done.application_id))
    envelope = envelope_pb2.EventEnvelope.FromString(raw)
    event = events_pb2.ApplicationSubmitted()
    envelope.payload.Unpack(event)
    assert event.edit_until.ToDatetime() == view.point.confirm_end.ToDatetime()
    # Once confirmed, nothing is editable any more: no deadline is named.
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=done.application_id, action="CONFIRM_ON_SITE"), h.staff("POINT_STAFF", "11010801"))
    view = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=done.application_id), who.actor)).application
    assert not view.HasField("edit_until")


async def test_r_app_3_read_only_after_confirmation(app, h):
    who = h.new_applicant()
    done = await app.submit_new(who)
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=done.application_id, action="CONFIRM_ON_SITE"), h.staff("POINT_STAFF", "11010801"))
    refused = await app.refused(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, email="x@example.cn"), who.actor)
    assert refused.code == "R-APP-3"


async def test_r_app_3_edited_numbers_matching_the_registry_replace_and_lock(app, h):
    who = h.new_applicant(document=h.REGISTRY_DOCUMENT, name="王小明")
    done = await app.submit_new(who, certificate="20101100122000099")  # a typo: not on record
    assert not done.application.certificate.locked
    reply = await app.call(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, certificate=applications_pb2.CertificateEdit(
            certificate_number=h.REGISTRY_CERTIFICATE, holder_name="王晓明", certificate_type_code="JUNIOR_SECONDARY",
            subject_code="CHINESE", issuing_body="随便", issue_date="2011-01-01")), who.actor)
    cert = reply.application.certificate
    assert reply.replaced_from_registry and cert.locked and cert.has_photo
    assert (cert.holder_name, cert.certificate_type_code, cert.subject_code) == ("王小明", "PRIMARY", "MATH")
    assert "CERTIFICATE" not in reply.application.editable_groups
    refused = await app.refused(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, certificate=applications_pb2.CertificateEdit(
            certificate_number="20101100122000099", holder_name="王小明", certificate_type_code="PRIMARY",
            subject_code="MATH", issuing_body="x", issue_date="2011-01-01")), who.actor)
    assert refused.code == "R-APP-3"


async def test_r_app_3_wrong_authority_corrected_inside_the_new_window(app, h):
    who = h.new_applicant()
    done = await app.submit_new(who)
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=done.application_id, action="MARK_WRONG_AUTHORITY", reason="应向朝阳区申请"),
        h.staff("POINT_STAFF", "11010801"))
    # Only the authority and point may change now.
    refused = await app.refused(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, email="x@example.cn"), who.actor)
    assert refused.code == "R-APP-3"
    # An authority without an open plan is refused with its rule.
    refused = await app.refused(app.applicant.CorrectAuthority, applications_pb2.CorrectAuthorityRequest(
        application_id=done.application_id, authority_code="110106", point_code="x"), who.actor)
    assert refused.code == "R-APP-3" and "尚未开始" in refused.message_zh
    view = (await app.call(app.applicant.CorrectAuthority, applications_pb2.CorrectAuthorityRequest(
        application_id=done.application_id, authority_code="110105", point_code="11010501"), who.actor)).application
    assert view.status.status == status_pb2.SUBMITTED and view.authority_code == "110105"
    assert view.point.point_code == "11010501" and view.plan_id == app.plan_ids["110105"]
    assert await app.count(orm.live_applications, orm.live_applications.c.plan_id == app.plan_ids["110105"]) == 1
    # Now the old authority's staff may no longer act on it; the new one's may.
    refused = await app.refused(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
        application_id=done.application_id), h.staff("AUTHORITY_ADMIN", "110108"))
    assert refused.code == "R-STAFF-4"
    await app.call(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
        application_id=done.application_id), h.staff("AUTHORITY_ADMIN", "110105"))


async def test_r_app_4_messages_and_onsite_notes_shown_to_their_applicant_only(app, h):
    who = h.new_applicant()
    done = await app.submit_new(who)
    other = await app.submit_new()
    await app.call(app.plans.SetPointNotes, plans_pb2.SetPointNotesRequest(
        point_code="11010801", notes="请携带身份证原件和申请表"), h.staff("POINT_STAFF", "11010801"))
    await app.call(app.staff.PostMessage, staff_pb2.PostMessageRequest(
        application_id=done.application_id, body="请补充学历证明"), h.staff("AUTHORITY_ADMIN", "110108"))
    await app.call(app.staff.PostMessage, staff_pb2.PostMessageRequest(
        application_id=other.application_id, body="给别人的留言"), h.staff("POINT_STAFF", "11010801"))
    reply = await app.call(app.applicant.ListMessages, applications_pb2.ListMessagesRequest(), who.actor)
    assert [m.body for m in reply.messages] == ["请补充学历证明"]
    assert reply.messages[0].author_org_name == "区110108教育委员会"
    assert [n.notes for n in reply.point_notes] == ["请携带身份证原件和申请表"]
    assert await app.events("MessagePosted", done.application_id) == 1
    # Another point's staff cannot write this point's notes (R-STAFF-4).
    refused = await app.refused(app.plans.SetPointNotes, plans_pb2.SetPointNotesRequest(
        point_code="11010801", notes="x"), h.staff("POINT_STAFF", "11010802"))
    assert refused.code == "R-STAFF-4"


@pytest.mark.parametrize("body", ["", "字" * 1001])
async def test_r_app_4_message_length_checked(app, h, body):
    done = await app.submit_new()
    refused = await app.refused(app.staff.PostMessage, staff_pb2.PostMessageRequest(
        application_id=done.application_id, body=body), h.staff("AUTHORITY_ADMIN", "110108"))
    assert isinstance(refused, errors.InvalidInput)


async def test_r_app_5_form_data_for_the_documents_service(app, h):
    who = h.new_applicant(document=h.REGISTRY_DOCUMENT, name="王小明")
    done = await app.submit_new(who, certificate=h.REGISTRY_CERTIFICATE)
    from tqr.application.v1 import form_pb2
    system = h.Actor(subject_id="documents", role=ROLE_SYSTEM)
    form = await app.call(app.form.GetApplicationForForm, form_pb2.GetApplicationForFormRequest(
        application_number=done.application_number), system)
    assert form.document_number == h.REGISTRY_DOCUMENT and form.document_type_label == "居民身份证"
    assert form.certificate_type_name == "小学教师资格" and form.certificate_subject_name == "数学"
    assert form.point_name == "海淀一号确认点" and form.point_address and form.confirm_end.seconds
    assert form.photo.startswith(b"\x89PNG") and form.teaching_stage_name == "小学"
    assert form.status_label == "信息提交成功，等待现场确认" and len(form.annual_assessments) == 5
    assert form.mobile_masked == "138****5678" and form.ethnicity == "汉族"


async def test_r_app_8_the_form_data_carries_the_edit_revision_which_status_changes_leave(app, h):
    from tqr.application.v1 import form_pb2

    who = h.new_applicant()
    done = await app.submit_new(who)
    system = h.Actor(subject_id="documents", role=ROLE_SYSTEM)
    ask = form_pb2.GetApplicationForFormRequest(application_id=done.application_id)
    assert (await app.call(app.form.GetApplicationForForm, ask, system)).edit_revision == 1
    await app.call(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, email="second@example.cn"), who.actor)
    assert (await app.call(app.form.GetApplicationForForm, ask, system)).edit_revision == 2
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=done.application_id, action="CONFIRM_ON_SITE"), h.staff("POINT_STAFF", "11010801"))
    form = await app.call(app.form.GetApplicationForForm, ask, system)
    assert form.edit_revision == 2 and form.version == 3  # a status change is no new form content


async def test_r_app_6_point_teaching_stage_and_subject_change_while_submitted_number_stays(app, h):
    who = h.new_applicant()
    done = await app.submit_new(who)  # point 11010801 of 110108's plan
    app_id = done.application_id

    def edit(**section):
        return applications_pb2.EditApplicationRequest(application_id=app_id, **section)

    view = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=app_id), who.actor)).application
    assert {"POINT", "TEACHING"} <= set(view.editable_groups) and view.edit_revision == 1
    # A point outside the plan is refused and nothing changes.
    refused = await app.refused(app.applicant.EditApplication, edit(point_code="11010803"), who.actor)
    assert refused.code == "R-APP-6" and refused.message_en
    view = (await app.call(app.applicant.EditApplication, edit(point_code="11010802"), who.actor)).application
    assert view.point.point_code == "11010802" and view.point.point_name == "海淀二号确认点"
    assert view.application_number == done.application_number and view.edit_revision == 2
    assert view.edit_until.ToDatetime() == view.point.confirm_end.ToDatetime()  # the new point's window
    # 现任教学段 and 现任教学科: codes of the lists, problems per field.
    refused = await app.refused(app.applicant.EditApplication, edit(teaching=applications_pb2.TeachingEdit(
        teaching_stage_code="NOPE", teaching_subject_code="")), who.actor)
    assert isinstance(refused, errors.InvalidInput) and refused.code == "R-APP-6"
    assert {p.field for p in refused.problems} == {"teaching_stage_code", "teaching_subject_code"}
    view = (await app.call(app.applicant.EditApplication, edit(teaching=applications_pb2.TeachingEdit(
        teaching_stage_code="JUNIOR_SECONDARY", teaching_subject_code="CHINESE")), who.actor)).application
    assert (view.teaching_stage_code, view.teaching_subject_code) == ("JUNIOR_SECONDARY", "CHINESE")
    assert view.application_number == done.application_number and view.edit_revision == 3
    assert await app.events("ApplicationUpdated", app_id) == 2
    # The new point's staff now find it; the old point's no longer do.
    await app.call(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
        application_id=app_id), h.staff("POINT_STAFF", "11010802"))
    refused = await app.refused(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
        application_id=app_id), h.staff("POINT_STAFF", "11010801"))
    assert refused.code == "R-STAFF-4"
    # Confirmed: frozen.
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=app_id, action="CONFIRM_ON_SITE"), h.staff("POINT_STAFF", "11010802"))
    refused = await app.refused(app.applicant.EditApplication, edit(point_code="11010801"), who.actor)
    assert refused.code == "R-APP-3"


async def test_r_app_6_edited_certificate_number_checked_as_at_step_3_on_postgresql(app, h):
    who = h.new_applicant()
    done = await app.submit_new(who)
    app_id, filed = done.application_id, done.certificate_number

    def cert(number: str, accept: bool = False) -> applications_pb2.EditApplicationRequest:
        return applications_pb2.EditApplicationRequest(application_id=app_id, certificate=applications_pb2.CertificateEdit(
            certificate_number=number, holder_name=who.identity.name, certificate_type_code="PRIMARY",
            subject_code="MATH", issuing_body="北京市海淀区教育委员会", issue_date="2015-07-01",
            accept_unusual_number=accept))

    empty = await app.refused(app.applicant.EditApplication, cert("  "), who.actor)
    assert isinstance(empty, errors.InvalidInput) and empty.problems[0].field == "certificate_number"
    assert empty.problems[0].message_zh and empty.problems[0].message_en
    too_long = await app.refused(app.applicant.EditApplication, cert("2" * 18, accept=True), who.actor)
    assert isinstance(too_long, errors.InvalidInput)
    assert "最多 17 位" in too_long.problems[0].message_zh and "at most 17" in too_long.problems[0].message_en
    unusual = await app.refused(app.applicant.EditApplication, cert("2015110123456789"), who.actor)  # 16 digits
    assert unusual.code == "R-WIZ-3" and "15 位或 17 位" in unusual.message_zh and "15 or 17" in unusual.message_en
    view = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=app_id), who.actor)).application
    assert view.certificate.certificate_number == filed and view.version == 1  # nothing changed
    longest = "2015110123456ABCD"  # 17 characters, letters: unusual, confirmed, kept whole
    view = (await app.call(app.applicant.EditApplication, cert(longest, accept=True), who.actor)).application
    assert view.certificate.certificate_number == longest and view.application_number == done.application_number
    async with app.ctx.sessions() as session:
        stored = await session.scalar(select(orm.applications.c.certificate_number).where(
            orm.applications.c.id == app_id))
    assert stored == longest
    # The usual 17 digits need no confirmation.
    usual = "20151101234567890"
    view = (await app.call(app.applicant.EditApplication, cert(usual), who.actor)).application
    assert view.certificate.certificate_number == usual and view.edit_revision == 3


async def test_r_staff_2_point_staff_reveal_the_document_number_audited_other_roles_refused(app, h):
    from sqlalchemy import select as sql_select

    who = h.new_applicant()
    done = await app.submit_new(who)
    app_id = done.application_id
    reveal = staff_pb2.RevealDocumentNumberRequest(application_id=app_id)
    for actor in (h.staff("AUTHORITY_ADMIN", "110108"), who.actor, h.staff("IDENTITY_REVIEWER", "")):
        refused = await app.refused(app.staff.RevealDocumentNumber, reveal, actor)
        assert isinstance(refused, errors.PermissionDenied), actor
    other_point = await app.refused(app.staff.RevealDocumentNumber, reveal, h.staff("POINT_STAFF", "11010501"))
    assert other_point.code == "R-STAFF-4"  # not their application
    point = h.staff("POINT_STAFF", "11010801", subject="staff-42")
    reply = await app.call(app.staff.RevealDocumentNumber, reveal, point)
    assert reply.document_number == who.identity.document_number
    view = (await app.call(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
        application_id=app_id), point)).application
    assert view.document_number_masked != who.identity.document_number  # views stay masked
    t = orm.audit_log
    async with app.ctx.sessions() as session:
        rows = (await session.execute(sql_select(t.c.actor_id, t.c.actor_role, t.c.at, t.c.detail).where(
            t.c.target_id == app_id, t.c.action == "REVEAL_DOCUMENT_NUMBER"))).all()
    assert [(r.actor_id, r.actor_role) for r in rows] == [("staff-42", "POINT_STAFF")] and rows[0].at
    assert who.identity.document_number not in str(rows[0].detail)  # the audit keeps no number in clear
