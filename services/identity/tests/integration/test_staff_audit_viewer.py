"""R-STAFF-9 on PostgreSQL: the staff audit is searched within the caller's organisation (its
authority and the authority's points), all of it by a system admin, with keyset pages and masked
reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from servicekit.errors import InvalidInput, PermissionDenied
from tqr_identity.seed import DEMO_STAFF, seed_context
from tqr_identity.service_layer import audit_log, staff_admin
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.audit_log import AuditQuery
from tqr_identity.service_layer.staff_admin import StaffDetails

pytestmark = pytest.mark.redis

SYSADMIN = next(s for s in DEMO_STAFF if s.role.value == "SYSTEM_ADMIN")
HAIDIAN_ADMIN = next(s for s in DEMO_STAFF if s.role.value == "AUTHORITY_ADMIN")  # authority 110108


@pytest.fixture
async def pg_ctx(make_ctx, pg_url):
    ctx = await make_ctx(pg_url)
    await seed_context(ctx)
    return ctx


async def caller_of(ctx, demo) -> Caller:
    async with ctx.reading() as session:
        staff = await ctx.staff.by_username(session, demo.username)
    return Caller(staff.id, staff.role, staff.organisation_code)


async def everything(ctx, caller, **query) -> list[audit_log.AuditRow]:
    seen, token = [], ""
    while True:
        rows, token = await audit_log.search(ctx, caller, AuditQuery(page_size=2, page_token=token, **query))
        seen.extend(rows)
        if not token:
            return seen


async def test_r_staff_9_authority_admin_reads_only_its_organisations_staff_audit(pg_ctx) -> None:
    ctx = pg_ctx
    sysadmin = await caller_of(ctx, SYSADMIN)
    haidian = await caller_of(ctx, HAIDIAN_ADMIN)
    chaoyang_made = await staff_admin.create_staff(ctx, sysadmin, StaffDetails(
        "chaoyang.admin", "朝阳区管理员", "AUTHORITY_ADMIN", "110105"))
    chaoyang = Caller(chaoyang_made.staff.id, "AUTHORITY_ADMIN", "110105")
    ctx.clock.advance(seconds=5)
    point_made = await staff_admin.create_staff(ctx, haidian, StaffDetails(
        "haidian.point", "海淀点员", "POINT_STAFF", "11010801"))
    ctx.clock.advance(seconds=5)
    await staff_admin.reset_staff_password(ctx, haidian, point_made.staff.id)
    ctx.clock.advance(seconds=5)
    chaoyang_point = await staff_admin.create_staff(ctx, chaoyang, StaffDetails(
        "chaoyang.point", "朝阳点员", "POINT_STAFF", "11010501"))

    mine = await everything(ctx, haidian)
    assert [(r.action, r.target_id) for r in mine] == [("staff-password-reset", point_made.staff.id),
                                                       ("staff-create", point_made.staff.id)]
    assert {r.organisation_code for r in mine} == {"110108"}
    assert mine[0].at > mine[-1].at  # newest first
    # Asking for the other authority's staff member or account finds nothing.
    assert await everything(ctx, haidian, staff_id=chaoyang.subject_id) == []
    assert await everything(ctx, haidian, target=chaoyang_point.staff.id) == []
    assert [r.target_id for r in await everything(ctx, chaoyang)] == [chaoyang_point.staff.id]
    # The system admin reads every row, the authority admins' and its own.
    every = await everything(ctx, sysadmin)
    assert {"110108", "110105", ""} <= {r.organisation_code for r in every}
    by_target = await everything(ctx, sysadmin, target=point_made.staff.id)
    assert len(by_target) == 2
    # Point staff and reviewers read nothing.
    for role, org in (("POINT_STAFF", "11010801"), ("IDENTITY_REVIEWER", "")):
        with pytest.raises(PermissionDenied):
            await audit_log.search(ctx, Caller("someone", role, org), AuditQuery())
    # A time range (until exclusive) and an action.
    newest = every[0].at
    assert await everything(ctx, sysadmin, since=newest, until=newest + timedelta(seconds=1)) == every[:1]
    assert [r.action for r in await everything(ctx, haidian, action="staff-create")] == ["staff-create"]


async def test_r_staff_9_reasons_are_masked_and_bad_pages_refused(pg_ctx) -> None:
    ctx = pg_ctx
    async with ctx.transaction() as session:
        await ctx.cases.audit(session, at=ctx.now(), staff_id="rev-1", role="IDENTITY_REVIEWER",
                              organisation_code="", action="DECIDE_MANUAL_REVIEW", target_kind="manual_review",
                              target_id="case-1", decision="REJECTED",
                              reason="证件 11010519491231002X 与 13812345678 不符")
    sysadmin = await caller_of(ctx, SYSADMIN)
    rows = await everything(ctx, sysadmin, target="case-1")
    assert rows[0].detail == "decision: REJECTED; reason: 证件 1101**********002X 与 138****5678 不符"
    with pytest.raises(InvalidInput):
        await audit_log.search(ctx, sysadmin, AuditQuery(page_token="%%%"))
    with pytest.raises(InvalidInput):
        await audit_log.search(ctx, sysadmin, AuditQuery(since=ctx.now(), until=ctx.now() - timedelta(days=1)))
