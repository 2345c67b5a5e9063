"""Reference data edited from the console (R-REF-2) and an import previewed before it is written
(R-REF-3), through the gRPC service on a real database."""

from __future__ import annotations

from servicekit import errors
from sqlalchemy import select
from tqr.application.v1 import application_pb2 as pb
from tqr.common.v1.vocabulary_pb2 import ROLE_SYSTEM_ADMIN
from tqr_application.adapters import orm


def centre(h):  # type: ignore[no-untyped-def]
    return h.Actor(subject_id="centre-1", role=ROLE_SYSTEM_ADMIN)


async def audit_rows(app, action: str) -> list:  # type: ignore[no-untyped-def]
    async with app.ctx.sessions() as session:
        return list((await session.execute(select(orm.audit_log).where(orm.audit_log.c.action == action))).all())


async def point(app, h, code: str) -> pb.ConfirmationPoint:  # type: ignore[no-untyped-def]
    reply = await app.call(app.reference.ListConfirmationPoints, pb.ListConfirmationPointsRequest(
        authority_code=code[:6]), h.new_applicant().actor)
    return next(p for p in reply.points if p.code == code)


async def test_r_ref_2_an_authority_admin_changes_its_own_points_contact_and_everyone_reads_it(app, h):
    admin = h.staff("AUTHORITY_ADMIN", "110108")
    reply = await app.call(app.reference.UpdateConfirmationPoint, pb.UpdateConfirmationPointRequest(
        code="11010802", address="北京市海淀区新路 8 号", phone="010-61000099", scope="民办学校与幼儿园教师"), admin)
    assert reply.point.address == "北京市海淀区新路 8 号"
    seen = await point(app, h, "11010802")  # the cache was told: the next read has it
    assert (seen.address, seen.phone, seen.scope) == ("北京市海淀区新路 8 号", "010-61000099", "民办学校与幼儿园教师")
    [row] = await audit_rows(app, "UPDATE_POINT")
    assert row.actor_org == "110108" and row.target_id == "11010802"
    assert row.detail["phone"] == {"from": "010-61000002", "to": "010-61000099"}


async def test_r_ref_2_another_authoritys_admin_and_point_staff_are_refused(app, h):
    before = await point(app, h, "11010801")
    for actor in (h.staff("AUTHORITY_ADMIN", "110105"), h.staff("POINT_STAFF", "11010801")):
        refused = await app.refused(app.reference.UpdateConfirmationPoint, pb.UpdateConfirmationPointRequest(
            code="11010801", address="别处", phone="010-1", scope="x"), actor)
        assert isinstance(refused, errors.PermissionDenied)
    assert await point(app, h, "11010801") == before
    assert await audit_rows(app, "UPDATE_POINT") == []


async def test_r_ref_2_an_edit_is_checked_as_the_import_checks_it_and_changes_nothing_when_wrong(app, h):
    before = await point(app, h, "11010803")
    refused = await app.refused(app.reference.UpdateConfirmationPoint, pb.UpdateConfirmationPointRequest(
        code="11010803", address="", phone="电话", scope="y" * 1001), centre(h))
    assert isinstance(refused, errors.InvalidInput)
    assert {p.field for p in refused.problems} == {"address", "phone", "scope"}
    assert all(p.message_zh and p.message_en for p in refused.problems)
    assert await point(app, h, "11010803") == before
    missing = await app.refused(app.reference.UpdateConfirmationPoint, pb.UpdateConfirmationPointRequest(
        code="NOPE", address="a", phone="010-61000003", scope="s"), centre(h))
    assert isinstance(missing, errors.NotFound)


async def test_r_ref_2_only_the_guiding_centre_changes_authorities_and_code_list_names(app, h):
    reply = await app.call(app.reference.UpdateAuthority, pb.UpdateAuthorityRequest(
        code="110108", name="北京市海淀区教育委员会", address="北京市海淀区四季青路 1 号", phone="010-88888888"), centre(h))
    assert reply.authority.phone == "010-88888888" and reply.authority.region_code == "110108"
    refused = await app.refused(app.reference.UpdateAuthority, pb.UpdateAuthorityRequest(
        code="110108", name="改名", address="", phone=""), h.staff("AUTHORITY_ADMIN", "110108"))
    assert isinstance(refused, errors.PermissionDenied)

    renamed = await app.call(app.reference.RenameCode, pb.RenameCodeRequest(
        list="subjects", code="MATH", name="数学（含统计）"), centre(h))
    assert renamed.entry.name == "数学（含统计）"
    lists = await app.call(app.reference.ListCodeLists, pb.ListCodeListsRequest(), h.new_applicant().actor)
    assert {s.code: s.name for s in lists.subjects}["MATH"] == "数学（含统计）"
    taken = await app.refused(app.reference.RenameCode, pb.RenameCodeRequest(
        list="subjects", code="MATH", name="语文"), centre(h))
    assert isinstance(taken, errors.InvalidInput) and taken.problems[0].field == "name"
    unknown_list = await app.refused(app.reference.RenameCode, pb.RenameCodeRequest(
        list="orm_tables", code="MATH", name="x"), centre(h))
    assert isinstance(unknown_list, errors.InvalidInput)
    [row] = await audit_rows(app, "RENAME_CODE")
    assert row.detail == {"name": {"from": "数学", "to": "数学（含统计）"}}


async def test_r_ref_3_a_dry_run_shows_what_the_import_would_add_and_writes_nothing(app, h):
    files = {"subjects.csv": "code,name\nART,美术\nMUSIC,音乐\n",
             "confirmation_points.csv": "code,authority_code,name,address,phone,scope\n"
                                        "11010804,110108,海淀四号确认点,北京市海淀区路4号,010-61000004,全部\n"}
    preview = await app.call(app.reference.ImportReferenceData, pb.ImportReferenceDataRequest(
        files=files, dry_run=True), centre(h))
    assert not preview.imported and not preview.errors
    assert [(r.file, r.code, r.name, r.detail) for r in preview.preview] == [
        ("confirmation_points.csv", "11010804", "海淀四号确认点", "110108"),
        ("subjects.csv", "ART", "美术", ""), ("subjects.csv", "MUSIC", "音乐", "")]
    assert preview.counts["subjects.csv"] == 2
    lists = await app.call(app.reference.ListCodeLists, pb.ListCodeListsRequest(), centre(h))
    assert "ART" not in [s.code for s in lists.subjects]
    assert await audit_rows(app, "IMPORT_REFERENCE_DATA") == []

    broken = await app.call(app.reference.ImportReferenceData, pb.ImportReferenceDataRequest(
        files={"subjects.csv": "code,name\nMATH,数学二\n"}, dry_run=True), centre(h))
    assert broken.errors and not broken.preview

    done = await app.call(app.reference.ImportReferenceData, pb.ImportReferenceDataRequest(files=files), centre(h))
    assert done.imported and not done.preview
    refused = await app.refused(app.reference.ImportReferenceData, pb.ImportReferenceDataRequest(
        files=files, dry_run=True), h.staff("AUTHORITY_ADMIN", "110108"))
    assert isinstance(refused, errors.PermissionDenied)
