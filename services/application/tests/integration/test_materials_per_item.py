"""Issue 19 item 19 on PostgreSQL: "materials incomplete" per item. Each authority may keep its own
checklist (else the default); staff list the ticked items plus free text; the applicant reads
the list and says the papers are ready; the point then sees those items marked, until its next
result."""

from __future__ import annotations

from servicekit import errors
from sqlalchemy import select
from tqr.application.v1 import application_pb2, applications_pb2, plans_pb2, staff_pb2
from tqr_application.adapters import orm
from tqr_application.domain.checklist import MATERIALS_CHECKLIST

ADMIN, OTHER_ADMIN = ("AUTHORITY_ADMIN", "110108"), ("AUTHORITY_ADMIN", "110105")
POINT = ("POINT_STAFF", "11010801")


def _items(*names: tuple[str, str]) -> list[application_pb2.MaterialItem]:
    return [application_pb2.MaterialItem(name_zh=zh, name_en=en) for zh, en in names]


async def test_a_points_staff_read_their_points_authoritys_checklist_whatever_the_points_code(app, h):
    async with app.ctx.sessions() as session, session.begin():
        await session.execute(orm.confirmation_points.insert().values(
            code="HD-SCHOOL-7", authority_code="110108", name="海淀实验学校确认点", address="海淀区学院路 7 号",
            phone="010-61000077", scope="本校教师"))
    await app.call(app.plans.SetMaterialsChecklist, plans_pb2.SetMaterialsChecklistRequest(
        items=_items(("签名的申请表", "The signed form"))), h.staff(*ADMIN))
    seen = await app.call(app.plans.GetMaterialsChecklist, plans_pb2.GetMaterialsChecklistRequest(),
                          h.staff("POINT_STAFF", "HD-SCHOOL-7"))
    assert seen.authority_code == "110108" and seen.customised
    assert [i.name_zh for i in seen.items] == ["签名的申请表"]


async def test_an_authority_keeps_its_own_checklist_and_others_keep_the_default(app, h):
    default = await app.call(app.plans.GetMaterialsChecklist, plans_pb2.GetMaterialsChecklistRequest(
        authority_code="110108"), h.staff(*POINT))
    assert not default.customised
    assert [i.name_zh for i in default.items] == [i.name_zh for i in MATERIALS_CHECKLIST]

    admin = h.staff(*ADMIN, subject="admin-1")
    own = await app.call(app.plans.SetMaterialsChecklist, plans_pb2.SetMaterialsChecklistRequest(items=_items(
        ("签名的申请表", "The signed form"), ("  近五年继续教育学时证明 ", ""), ("园长推荐信", "A letter from the head"))),
        admin)
    assert own.customised and own.authority_code == "110108"
    assert [(i.code, i.name_zh, i.name_en) for i in own.items] == [
        ("ITEM_1", "签名的申请表", "The signed form"), ("ITEM_2", "近五年继续教育学时证明", "近五年继续教育学时证明"),
        ("ITEM_3", "园长推荐信", "A letter from the head")]
    seen_by_point = await app.call(app.plans.GetMaterialsChecklist, plans_pb2.GetMaterialsChecklistRequest(
        authority_code="110108"), h.staff(*POINT))
    assert [i.name_zh for i in seen_by_point.items] == [i.name_zh for i in own.items]
    other = await app.call(app.plans.GetMaterialsChecklist, plans_pb2.GetMaterialsChecklistRequest(
        authority_code="110105"), h.staff(*OTHER_ADMIN))
    assert not other.customised  # 朝阳 did not change: still the default

    async with app.ctx.sessions() as session:
        rows = (await session.execute(select(orm.audit_log).where(orm.audit_log.c.action == "SET_MATERIALS_CHECKLIST")
                                      )).all()
    assert [(r.actor_id, r.target_id) for r in rows] == [("admin-1", "110108")]

    back = await app.call(app.plans.SetMaterialsChecklist, plans_pb2.SetMaterialsChecklistRequest(), admin)
    assert not back.customised and len(back.items) == len(MATERIALS_CHECKLIST)


async def test_a_bad_checklist_or_a_wrong_role_changes_nothing(app, h):
    admin = h.staff(*ADMIN)
    await app.call(app.plans.SetMaterialsChecklist, plans_pb2.SetMaterialsChecklistRequest(
        items=_items(("签名的申请表", ""))), admin)
    refused = await app.refused(app.plans.SetMaterialsChecklist, plans_pb2.SetMaterialsChecklistRequest(
        items=_items(("", "empty"), ("重复", ""), ("重复", ""), ("长" * 101, ""))), admin)
    assert isinstance(refused, errors.InvalidInput)
    assert [p.field for p in refused.problems] == ["items[0]", "items[2]", "items[3]"]
    assert all(p.message_zh and p.message_en for p in refused.problems)
    for who in (h.staff(*POINT), h.new_applicant().actor):
        assert isinstance(await app.refused(app.plans.SetMaterialsChecklist, plans_pb2.SetMaterialsChecklistRequest(
            items=_items(("别的", ""))), who), errors.PermissionDenied)
    still = await app.call(app.plans.GetMaterialsChecklist, plans_pb2.GetMaterialsChecklistRequest(
        authority_code="110108"), h.staff(*POINT))
    assert [i.name_zh for i in still.items] == ["签名的申请表"]


async def test_the_applicant_says_the_listed_papers_are_ready_and_the_point_sees_them_marked(app, h):
    who = h.new_applicant()
    submitted = await app.submit_new(who)
    app_id = submitted.application_id
    mine = applications_pb2.GetMyApplicationRequest(application_id=app_id)
    resubmit = applications_pb2.ResubmitMaterialsRequest(application_id=app_id)

    # Nothing is missing yet: nothing to resubmit.
    assert isinstance(await app.refused(app.applicant.ResubmitMaterials, resubmit, who.actor), errors.RuleViolation)

    point = h.staff(*POINT)
    marked = await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=app_id, action="MARK_MATERIALS_INCOMPLETE", reason="请补交以下材料",
        missing_materials=["签名的《教师资格定期注册申请表》", "单位出具的任教证明"]), point)
    assert not marked.application.status.HasField("materials_resubmitted_at")
    seen = (await app.call(app.applicant.GetMyApplication, mine, who.actor)).application
    assert list(seen.status.missing_materials) == ["签名的《教师资格定期注册申请表》", "单位出具的任教证明"]

    # Another applicant cannot; the owner can, once (a repeat changes nothing).
    assert isinstance(await app.refused(app.applicant.ResubmitMaterials, resubmit, h.new_applicant().actor),
                      errors.NotFound)
    app.clock.advance(seconds=60)
    done = (await app.call(app.applicant.ResubmitMaterials, resubmit, who.actor)).application
    at = done.status.materials_resubmitted_at.ToDatetime()
    assert done.version == seen.version + 1
    again = (await app.call(app.applicant.ResubmitMaterials, resubmit, who.actor)).application
    assert again.version == done.version and again.status.materials_resubmitted_at.ToDatetime() == at

    staff_view = (await app.call(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
        application_id=app_id), point)).application
    assert staff_view.status.HasField("materials_resubmitted_at")
    assert list(staff_view.status.missing_materials) == ["签名的《教师资格定期注册申请表》", "单位出具的任教证明"]

    # The point's next result ends the mark: some still missing → a new list, not resubmitted.
    app.clock.advance(seconds=60)
    still = await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=app_id, action="MARK_MATERIALS_INCOMPLETE", reason="仍缺任教证明",
        missing_materials=["单位出具的任教证明"], expected_version=staff_view.version), point)
    assert not still.application.status.HasField("materials_resubmitted_at")
    assert list(still.application.status.missing_materials) == ["单位出具的任教证明"]
