"""Staff side: plans (R-STAFF-1, R-PLAN-1), finding (R-STAFF-2), scope and audit (R-STAFF-4),
lists with keyset pages, email correction, eligibility pre-check, reference import (R-REF-1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from servicekit import errors
from sqlalchemy import select
from tqr.application.v1 import application_pb2, plans_pb2, staff_pb2, wizard_pb2
from tqr.common.v1.vocabulary_pb2 import ROLE_SYSTEM_ADMIN
from tqr_application.adapters import orm


async def audit_rows(app, action: str):
    async with app.ctx.sessions() as session:
        return (await session.execute(select(orm.audit_log).where(orm.audit_log.c.action == action))).all()


async def test_r_staff_1_admin_manages_only_own_authoritys_plans_and_points(app, h):
    admin = h.staff("AUTHORITY_ADMIN", "110105")
    plan = plans_pb2.CreatePlanRequest(authority_code="110108", name="x", online_start=h.ts(h.START),
                                       online_end=h.ts(h.START + h.DAY))
    refused = await app.refused(app.plans.CreatePlan, plan, admin)
    assert refused.code == "R-STAFF-4"
    refused = await app.refused(app.plans.CreatePlan, plan, h.staff("POINT_STAFF", "11010501"))
    assert isinstance(refused, errors.PermissionDenied)
    plan.authority_code = "110105"
    plan.points.append(plans_pb2.PointWindowInput(point_code="11010801", confirm_start=h.ts(h.START),
                                                  confirm_end=h.ts(h.START + h.DAY)))
    refused = await app.refused(app.plans.CreatePlan, plan, admin)  # another authority's point
    assert refused.code == "R-PLAN-1"
    del plan.points[:]
    created = (await app.call(app.plans.CreatePlan, plan, admin)).plan
    rows = await audit_rows(app, "CREATE_PLAN")
    assert any(r.target_id == created.plan_id and r.actor_org == "110105" for r in rows)
    refused = await app.refused(app.plans.UpdatePlan, plans_pb2.UpdatePlanRequest(
        plan_id=created.plan_id, name="y", online_start=h.ts(h.START), online_end=h.ts(h.START + h.DAY)),
        h.staff("AUTHORITY_ADMIN", "110108"))
    assert refused.code == "R-STAFF-4"
    listed = await app.call(app.plans.ListPlans, plans_pb2.ListPlansRequest(), admin)
    assert created.plan_id in [p.plan_id for p in listed.plans]


async def test_r_plan_1_windows_must_make_sense(app, h):
    refused = await app.refused(app.plans.CreatePlan, plans_pb2.CreatePlanRequest(
        authority_code="110105", name="", online_start=h.ts(h.START), online_end=h.ts(h.START - h.DAY),
        points=[plans_pb2.PointWindowInput(point_code="11010501", confirm_start=h.ts(h.START),
                                           confirm_end=h.ts(h.START - h.DAY))]), h.staff("AUTHORITY_ADMIN", "110105"))
    assert refused.code == "R-PLAN-1" and len(refused.problems) >= 3


async def test_r_plan_1_plan_with_points_and_windows_visible_to_applicants(app, h):
    reply = await app.call(app.plans.GetAuthorityPlan, plans_pb2.GetAuthorityPlanRequest(authority_code="110108"),
                           h.new_applicant().actor)
    assert reply.online_open and [p.point_code for p in reply.plan.points] == ["11010801", "11010802"]
    refused = await app.refused(app.plans.GetAuthorityPlan, plans_pb2.GetAuthorityPlanRequest(
        authority_code="110101"), h.new_applicant().actor)
    assert refused.code == "R-PLAN-2"


async def test_current_plans_are_public_and_drop_a_plan_once_every_window_has_ended(app, h):
    """The home page's 重要时间: no sign-in needed; a plan stays while applying or confirming is possible."""
    start, day = datetime(2026, 3, 10, 2, 0, tzinfo=UTC), timedelta(days=1)  # conftest's plans count from here

    async def listed() -> dict[str, list[str]]:
        reply = await app.plans.ListCurrentPlans(plans_pb2.ListCurrentPlansRequest(), timeout=20)  # no actor
        ours = set(app.plan_ids.values())
        return {p.authority_code: [w.point_code for w in p.points] for p in reply.plans if p.plan_id in ours}

    # 110107's online window ended ten days ago and it has no points: over.
    assert await listed() == {"110108": ["11010801", "11010802"], "110105": ["11010501"], "110102": [],
                              "110106": []}
    app.clock.set(start + 12 * day)  # online windows of 110108/110105/110102 have ended
    assert await listed() == {"110108": ["11010801", "11010802"], "110105": ["11010501"], "110106": []}
    app.clock.set(start + 21 * day)  # every window has ended
    assert await listed() == {}


async def test_r_staff_2_find_by_application_number_document_number_and_form_code(app, h):
    who = h.new_applicant()
    done = await app.submit_new(who)
    point = h.staff("POINT_STAFF", "11010801")
    number = done.application_number
    spaced = f"{number[:4]} {number[4:10]} {number[10:16]} {number[16:]}"
    for query in (number, spaced, who.identity.document_number.lower(), f"TQR1.K1.{number}.0A1B2C3D.MACMACMAC",
                  f"TQR1.{number}.SOMEMAC"):
        found = await app.call(app.staff.FindApplication, staff_pb2.FindApplicationRequest(query=query), point)
        assert [a.application_id for a in found.applications] == [done.application_id], query
    # Outside the finder's scope: nothing is revealed.
    found = await app.call(app.staff.FindApplication, staff_pb2.FindApplicationRequest(query=number),
                           h.staff("POINT_STAFF", "11010802"))
    assert not found.applications
    rows = await audit_rows(app, "FIND_APPLICATION")
    assert len(rows) == 6 and all(who.identity.document_number not in str(r.detail) for r in rows)


async def test_r_staff_4_staff_act_only_in_their_organisation_and_every_action_is_audited(app, h):
    done = await app.submit_new()
    app_id = done.application_id
    outsiders = [h.staff("POINT_STAFF", "11010802"), h.staff("AUTHORITY_ADMIN", "110105")]
    for actor in outsiders:
        for method, request in [
            (app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(application_id=app_id)),
            (app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(application_id=app_id,
                                                                                action="MARK_NOT_ELIGIBLE",
                                                                                reason="x")),
            (app.staff.PostMessage, staff_pb2.PostMessageRequest(application_id=app_id, body="x")),
            (app.staff.CheckEligibilityForStaff, staff_pb2.CheckEligibilityForStaffRequest(application_id=app_id)),
        ]:
            refused = await app.refused(method, request, actor)
            assert refused.code == "R-STAFF-4", (actor.organisation_code, method)
    refused = await app.refused(app.staff.CorrectApplicantEmail, staff_pb2.CorrectApplicantEmailRequest(
        application_id=app_id, email="a@b.cn"), h.staff("AUTHORITY_ADMIN", "110105"))
    assert refused.code == "R-STAFF-4"
    admin = h.staff("AUTHORITY_ADMIN", "110108", subject="admin-7")
    view = (await app.call(app.staff.CorrectApplicantEmail, staff_pb2.CorrectApplicantEmailRequest(
        application_id=app_id, email="fixed@example.cn", reason="申请人来电"), admin)).application
    assert view.materials.email == "fixed@example.cn"
    point = h.staff("POINT_STAFF", "11010801", subject="point-3")
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=app_id, action="CONFIRM_ON_SITE"), point)
    await app.call(app.staff.DecideApplication, staff_pb2.DecideApplicationRequest(
        application_id=app_id, action="APPROVE_REGISTERED"), admin)
    async with app.ctx.sessions() as session:
        rows = (await session.execute(select(orm.audit_log).where(orm.audit_log.c.target_id == app_id)
                                      .order_by(orm.audit_log.c.id))).all()
    assert [(r.action, r.actor_id, r.actor_org) for r in rows] == [
        ("CORRECT_EMAIL", "admin-7", "110108"), ("CONFIRM_ON_SITE", "point-3", "11010801"),
        ("APPROVE_REGISTERED", "admin-7", "110108")]


async def test_r_staff_2_lists_filter_and_page_with_keyset_tokens(app, h):
    ids = []
    for i in range(5):
        app.clock.advance(seconds=10)
        ids.append((await app.submit_new(h.new_applicant(name=f"张{i}"))).application_id)
    other = await app.submit_new(point="11010802")
    point = h.staff("POINT_STAFF", "11010801")
    seen, token = [], ""
    while True:
        page = await app.call(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(
            page_size=2, page_token=token), point)
        seen.extend(a.application_id for a in page.applications)
        token = page.next_page_token
        if not token:
            break
    assert seen == list(reversed(ids))  # newest first, the other point's row never shown
    admin = h.staff("AUTHORITY_ADMIN", "110108")
    everything = await app.call(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(page_size=50), admin)
    assert other.application_id in [a.application_id for a in everything.applications]
    by_name = await app.call(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(
        applicant_name="张3"), admin)
    assert [a.application_id for a in by_name.applications] == [ids[3]]
    by_status = await app.call(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(
        status="CONFIRMED"), admin)
    assert not by_status.applications
    refused = await app.refused(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(
        page_token="garbage!"), admin)
    assert isinstance(refused, errors.InvalidInput)


async def test_eligibility_pre_check_before_submit_and_for_staff(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who)
    await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    await app.save(who, notes=wizard_pb2.NotesStep(read=True))
    low = h.materials(continuing_education_hours=100)
    await app.save(who, materials=wizard_pb2.MaterialsStep(materials=low))
    report = (await app.call(app.wizard.CheckEligibility, wizard_pb2.CheckEligibilityRequest(), who.actor)).report
    assert not report.eligible and [f.code for f in report.findings] == ["ELIG-HOURS"]
    assert report.likely_outcome == "DEFERRED"
    # The threshold is per authority: an authority that asks for fewer hours.
    from sqlalchemy import insert
    async with app.ctx.transaction() as session:
        await session.execute(insert(orm.eligibility_thresholds).values(
            authority_code="110108", settings={"min_continuing_education_hours": 90}))
    report = (await app.call(app.wizard.CheckEligibility, wizard_pb2.CheckEligibilityRequest(), who.actor)).report
    assert report.eligible
    done = await app.call(app.wizard.SubmitApplication, wizard_pb2.SubmitApplicationRequest(
        idempotency_key="e1", identity=who.identity), who.actor)
    staff_report = (await app.call(app.staff.CheckEligibilityForStaff, staff_pb2.CheckEligibilityForStaffRequest(
        application_id=done.application_id), h.staff("AUTHORITY_ADMIN", "110108"))).report
    assert staff_report.eligible


async def test_r_ref_1_guiding_centre_adds_subjects_all_or_nothing(app, h):
    centre = h.Actor(subject_id="centre-1", role=ROLE_SYSTEM_ADMIN)
    bad = {"subjects.csv": "code,name\nART,美术\nMATH,数学重复\n"}
    reply = await app.call(app.reference.ImportReferenceData, application_pb2.ImportReferenceDataRequest(files=bad),
                           centre)
    assert not reply.imported and reply.errors[0].row == 3
    lists = await app.call(app.reference.ListCodeLists, application_pb2.ListCodeListsRequest(), centre)
    assert "ART" not in [s.code for s in lists.subjects]  # nothing half-loaded
    assert lists.missing_subject_hint_zh
    good = {"subjects.csv": "code,name\nART,美术\n"}
    reply = await app.call(app.reference.ImportReferenceData, application_pb2.ImportReferenceDataRequest(files=good),
                           centre)
    assert reply.imported and reply.counts["subjects.csv"] == 1
    refused = await app.refused(app.reference.ImportReferenceData, application_pb2.ImportReferenceDataRequest(
        files=good), h.staff("AUTHORITY_ADMIN", "110108"))
    assert isinstance(refused, errors.PermissionDenied)


async def test_reference_lists(app, h):
    anyone = h.new_applicant().actor
    provinces = await app.call(app.reference.ListRegions, application_pb2.ListRegionsRequest(), anyone)
    assert [r.code for r in provinces.regions] == ["110000"]
    authorities = await app.call(app.reference.ListAuthorities, application_pb2.ListAuthoritiesRequest(
        region_code="110000"), anyone)
    assert len(authorities.authorities) == 6
    points = await app.call(app.reference.ListConfirmationPoints, application_pb2.ListConfirmationPointsRequest(
        authority_code="110108"), anyone)
    assert [p.code for p in points.points] == ["11010801", "11010802", "11010803"]
    # One point by its code, whichever its authority (a point's staff know only their point).
    [one] = (await app.call(app.reference.ListConfirmationPoints, application_pb2.ListConfirmationPointsRequest(
        point_code="11010802"), anyone)).points
    assert one == points.points[1]
    assert not (await app.call(app.reference.ListConfirmationPoints, application_pb2.ListConfirmationPointsRequest(
        point_code="NO-SUCH-POINT"), anyone)).points
