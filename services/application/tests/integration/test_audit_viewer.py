"""The audit viewer's service side (R-STAFF-9): scoped search with keyset pages, masked details, and
the applicant's view of which organisation looked at or changed their application (never who)."""

from __future__ import annotations

from datetime import timedelta

from servicekit import errors
from sqlalchemy import insert
from tqr.application.v1 import applications_pb2, staff_pb2
from tqr.common.v1 import audit_pb2
from tqr_application.adapters import orm


async def _search(app, actor, **query) -> audit_pb2.AuditPage:
    return await app.call(app.staff.SearchAuditLog, audit_pb2.AuditQuery(**query), actor)


async def _everything(app, actor, **query) -> list[audit_pb2.AuditEntry]:
    seen, token = [], ""
    while True:
        page = await _search(app, actor, page_size=2, page_token=token, **query)
        seen.extend(page.entries)
        token = page.next_page_token
        if not token:
            return seen


async def _three_organisations_at_work(app, h):
    """One application at 110108 (looked at and decided there, also by its point), one at 110105."""
    ours = await app.submit_new()
    theirs = await app.submit_new(point="11010501", authority="110105")
    admin = h.staff("AUTHORITY_ADMIN", "110108", subject="admin-haidian")
    point = h.staff("POINT_STAFF", "11010801", subject="staff-point-1")
    other = h.staff("AUTHORITY_ADMIN", "110105", subject="admin-chaoyang")
    app.clock.advance(seconds=5)
    await app.call(app.staff.GetApplicationForStaff,
                   staff_pb2.GetApplicationForStaffRequest(application_id=ours.application_id), point)
    app.clock.advance(seconds=5)
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=ours.application_id, action="CONFIRM_ON_SITE"), point)
    app.clock.advance(seconds=5)
    await app.call(app.staff.CorrectApplicantEmail, staff_pb2.CorrectApplicantEmailRequest(
        application_id=ours.application_id, email="new@example.cn",
        reason="申请人来电 13812345678，证件 11010519491231002X，邮箱 zhang.san@example.cn"), admin)
    app.clock.advance(seconds=5)
    await app.call(app.staff.GetApplicationForStaff,
                   staff_pb2.GetApplicationForStaffRequest(application_id=theirs.application_id), other)
    return ours, theirs, admin, point, other


async def test_r_staff_9_authority_admin_reads_only_its_authority_and_points_even_when_asking_for_others(app, h):
    _ours, theirs, admin, point, other = await _three_organisations_at_work(app, h)
    mine = await _everything(app, admin)
    assert mine and {e.actor_organisation for e in mine} == {"110108", "11010801"}
    assert theirs.application_id not in {e.target_id for e in mine}
    # Naming the other authority's application, staff member or action finds nothing.
    assert not (await _search(app, admin, target=theirs.application_id)).entries
    assert not (await _search(app, admin, target=theirs.application_number)).entries
    assert not (await _search(app, admin, staff_id="admin-chaoyang")).entries
    # The other authority sees its own row only.
    assert {e.actor_organisation for e in await _everything(app, other)} == {"110105"}
    # A system admin sees both.
    system = h.staff("SYSTEM_ADMIN", "", subject="sys-1")
    every = await _everything(app, system)
    assert {"110108", "11010801", "110105"} <= {e.actor_organisation for e in every}
    # Other roles read nothing at all.
    for actor in (point, h.staff("IDENTITY_REVIEWER", ""), h.new_applicant().actor):
        refused = await app.refused(app.staff.SearchAuditLog, audit_pb2.AuditQuery(), actor)
        assert isinstance(refused, errors.PermissionDenied)


async def test_r_staff_9_filters_page_newest_first_and_details_stay_masked(app, h):
    ours, _theirs, admin, _point, _other = await _three_organisations_at_work(app, h)
    by_number = await _everything(app, admin, target=ours.application_number)
    assert [e.action for e in by_number] == ["CORRECT_EMAIL", "CONFIRM_ON_SITE", "VIEW_APPLICATION"]
    assert [e.at.ToDatetime() for e in by_number] == sorted((e.at.ToDatetime() for e in by_number), reverse=True)
    assert all(e.source == "application" and e.entry_id for e in by_number)
    by_staff = await _everything(app, admin, staff_id="staff-point-1")
    assert {e.action for e in by_staff} == {"VIEW_APPLICATION", "CONFIRM_ON_SITE"}
    assert [e.action for e in await _everything(app, admin, action="CORRECT_EMAIL")] == ["CORRECT_EMAIL"]
    correction = by_number[0]
    assert correction.actor_id == "admin-haidian" and correction.actor_role
    assert "13812345678" not in correction.detail and "138****5678" in correction.detail
    assert "11010519491231002X" not in correction.detail and "1101**********002X" in correction.detail
    assert "zhang.san@" not in correction.detail and "z***@example.cn" in correction.detail
    # A time range: only the rows from the on-site result on (until is exclusive).
    since = by_number[1].at.ToDatetime() - timedelta(microseconds=0)
    until = by_number[0].at.ToDatetime()
    ranged = await _search(app, admin, target=ours.application_id, since=h.ts(since.replace(tzinfo=h.START.tzinfo)),
                           until=h.ts(until.replace(tzinfo=h.START.tzinfo)))
    assert [e.action for e in ranged.entries] == ["CONFIRM_ON_SITE"]
    # Keyset paging: a row written after the first page does not shift the next one.
    first = await _search(app, admin, page_size=1)
    async with app.ctx.transaction() as session:
        await session.execute(insert(orm.audit_log).values(
            at=app.clock.now() + timedelta(hours=1), actor_role="AUTHORITY_ADMIN", actor_id="admin-haidian",
            actor_org="110108", action="VIEW_APPLICATION", target_type="application",
            target_id=ours.application_id, detail={}))
    second = await _search(app, admin, page_size=1, page_token=first.next_page_token)
    assert second.entries[0].entry_id != first.entries[0].entry_id
    assert second.entries[0].at.ToDatetime() <= first.entries[0].at.ToDatetime()


async def test_r_staff_9_bad_queries_are_refused_clearly(app, h):
    admin = h.staff("AUTHORITY_ADMIN", "110108")
    refused = await app.refused(app.staff.SearchAuditLog, audit_pb2.AuditQuery(page_token="not-a-cursor"), admin)
    assert isinstance(refused, errors.InvalidInput) and refused.problems[0].field == "page_token"
    refused = await app.refused(app.staff.SearchAuditLog, audit_pb2.AuditQuery(
        since=h.ts(h.START), until=h.ts(h.START - h.DAY)), admin)
    assert isinstance(refused, errors.InvalidInput) and refused.problems[0].field == "until"
    beyond = audit_pb2.AuditQuery()
    beyond.since.seconds = 10**13  # past year 9999: a malformed request, not a fault
    refused = await app.refused(app.staff.SearchAuditLog, beyond, admin)
    assert isinstance(refused, errors.InvalidInput) and refused.problems[0].field == "since"


async def test_r_staff_9_applicant_sees_which_organisation_looked_or_changed_and_when_never_who(app, h):
    who = h.new_applicant()
    ours = await app.submit_new(who)
    point = h.staff("POINT_STAFF", "11010801", subject="staff-point-secret")
    admin = h.staff("AUTHORITY_ADMIN", "110108", subject="admin-secret")
    await app.call(app.staff.GetApplicationForStaff,
                   staff_pb2.GetApplicationForStaffRequest(application_id=ours.application_id), point)
    app.clock.advance(seconds=5)
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=ours.application_id, action="CONFIRM_ON_SITE"), point)
    app.clock.advance(seconds=5)
    await app.call(app.staff.DecideApplication, staff_pb2.DecideApplicationRequest(
        application_id=ours.application_id, action="APPROVE_REGISTERED"), admin)
    reply = await app.call(app.applicant.ListApplicationAccess,
                           applications_pb2.ListApplicationAccessRequest(application_id=ours.application_id),
                           who.actor)
    assert [(e.organisation_name, e.changed, e.action) for e in reply.entries] == [
        ("区110108教育委员会", True, "APPROVE_REGISTERED"), ("海淀一号确认点", True, "CONFIRM_ON_SITE"),
        ("海淀一号确认点", False, "VIEW_APPLICATION")]
    wire = reply.SerializeToString()
    assert b"secret" not in wire and b"POINT_STAFF" not in wire and b"AUTHORITY_ADMIN" not in wire
    # Another applicant cannot ask about it.
    refused = await app.refused(app.applicant.ListApplicationAccess, applications_pb2.ListApplicationAccessRequest(
        application_id=ours.application_id), h.new_applicant().actor)
    assert isinstance(refused, errors.NotFound)
