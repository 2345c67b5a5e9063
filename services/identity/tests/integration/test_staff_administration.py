"""R-STAFF-5 on PostgreSQL and the real Redis: administrators set up, change, disable and reset staff
accounts within their organisation, every change is audited, and a new account's owner enrols a
password and TOTP with a one-time setup code."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from servicekit.errors import InvalidInput, NotFound, PermissionDenied, TooManyRequests, Unauthenticated
from sqlalchemy import select
from tqr_identity.adapters import orm
from tqr_identity.seed import DEMO_STAFF, DEMO_STAFF_PASSWORD, seed_context
from tqr_identity.service_layer import sign_in, staff_admin, staff_enrolment
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.staff_admin import StaffDetails

pytestmark = pytest.mark.redis

NEW_PASSWORD = "Staff#2026new"
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


async def audit_rows(ctx, target_id: str) -> list[tuple[str, str, str]]:
    async with ctx.reading() as session:
        c = orm.staff_audit.c
        rows = await session.execute(select(c.staff_id, c.action, c.decision).where(c.target_id == target_id)
                                     .order_by(c.id))
        return [tuple(row) for row in rows]


def totp_code(ctx, secret: str) -> str:
    return pyotp.TOTP(secret).at(ctx.clock.now())


async def enrol(ctx, username: str, setup_code: str, client_id: str = "10.1.0.1") -> tuple[str, staff_enrolment.Enrolled]:
    started = await staff_enrolment.start_enrolment(ctx, username=username, setup_code=setup_code, client_id=client_id)
    secret = pyotp.parse_uri(started.totp_uri).secret if started.totp_uri else ""
    assert secret == started.totp_secret
    return secret, started


async def test_r_staff_5_system_admin_sets_up_an_authority_admin_who_enrols_and_adds_point_staff(pg_ctx) -> None:
    ctx = pg_ctx
    sysadmin = await caller_of(ctx, SYSADMIN)
    issued = await staff_admin.create_staff(ctx, sysadmin, StaffDetails(
        " Chaoyang.Admin ", "朝阳区管理员", "AUTHORITY_ADMIN", "110105"))
    assert issued.staff.username == "chaoyang.admin" and issued.staff.must_enrol
    assert len(issued.code) == 19  # XXXX-XXXX-XXXX-XXXX

    # Nobody knows the password the account was made with: no sign-in before enrolment.
    with pytest.raises(Unauthenticated):
        await sign_in.staff_sign_in(ctx, username="chaoyang.admin", password=NEW_PASSWORD, totp_code="123456",
                                    client_id="10.1.0.1")
    with pytest.raises(Unauthenticated):  # a wrong setup code counts as a failed sign-in
        await staff_enrolment.start_enrolment(ctx, username="chaoyang.admin", setup_code="AAAA-BBBB-CCCC-DDDD",
                                              client_id="10.1.0.1")
    started = await staff_enrolment.start_enrolment(ctx, username="chaoyang.admin",
                                                    setup_code=issued.code.lower().replace("-", " "),
                                                    client_id="10.1.0.1")
    uri = pyotp.parse_uri(started.totp_uri)
    assert (uri.name, uri.secret) == ("chaoyang.admin", started.totp_secret)
    with pytest.raises(InvalidInput) as weak:
        await staff_enrolment.finish_enrolment(ctx, enrolment_token=started.enrolment_token, new_password="short",
                                               new_password_confirm="short",
                                               totp_code=totp_code(ctx, started.totp_secret), client_id="10.1.0.1")
    assert weak.value.code == "R-ID-3"
    done = await staff_enrolment.finish_enrolment(
        ctx, enrolment_token=started.enrolment_token, new_password=NEW_PASSWORD, new_password_confirm=NEW_PASSWORD,
        totp_code=totp_code(ctx, started.totp_secret), client_id="10.1.0.1")
    assert len(set(done.recovery_codes)) == 10
    resolved = await sign_in.resolve_session(ctx, done.signed_in.session_token)
    assert (resolved.roles, resolved.organisation_code) == (("AUTHORITY_ADMIN",), "110105")
    with pytest.raises(Unauthenticated):  # the setup code is used up
        await staff_enrolment.start_enrolment(ctx, username="chaoyang.admin", setup_code=issued.code,
                                              client_id="10.1.0.2")

    chaoyang = Caller(issued.staff.id, "AUTHORITY_ADMIN", "110105")
    point_staff = await staff_admin.create_staff(ctx, chaoyang, StaffDetails(
        "point11010501", "朝阳区第一确认点", "POINT_STAFF", "11010501"))
    assert point_staff.staff.organisation_code == "11010501"
    assert [s.username for s in await staff_admin.list_staff(ctx, chaoyang)] == ["point11010501"]
    assert "point11010501" not in {s.username for s in await staff_admin.list_staff(ctx, sysadmin)}
    assert await audit_rows(ctx, issued.staff.id) == [
        (sysadmin.subject_id, "staff-create", "created"), (issued.staff.id, "staff-enrolled", "enrolled")]
    assert await audit_rows(ctx, point_staff.staff.id) == [(issued.staff.id, "staff-create", "created")]


@pytest.mark.parametrize(("role", "organisation"), [
    ("POINT_STAFF", "11010901"),        # a point of another authority
    ("AUTHORITY_ADMIN", "110109"),      # another authority
    ("IDENTITY_REVIEWER", ""),          # reviewers are the system admins' to manage
])
async def test_r_staff_5_an_authority_admin_is_refused_outside_its_organisation(pg_ctx, role, organisation) -> None:
    haidian = await caller_of(pg_ctx, HAIDIAN_ADMIN)
    with pytest.raises(PermissionDenied) as refused:
        await staff_admin.create_staff(pg_ctx, haidian, StaffDetails("someone", "某人", role, organisation))
    assert refused.value.code == "R-STAFF-5"
    async with pg_ctx.reading() as session:
        assert await pg_ctx.staff.by_username(session, "someone") is None


async def test_r_staff_5_point_staff_and_reviewers_administer_nobody(pg_ctx) -> None:
    for demo in DEMO_STAFF:
        if demo.role.value in ("POINT_STAFF", "IDENTITY_REVIEWER"):
            with pytest.raises(PermissionDenied):
                await staff_admin.list_staff(pg_ctx, await caller_of(pg_ctx, demo))


async def test_r_staff_5_another_authoritys_admin_cannot_disable_and_nothing_is_audited(pg_ctx) -> None:
    ctx = pg_ctx
    sysadmin = await caller_of(ctx, SYSADMIN)
    other = await staff_admin.create_staff(ctx, sysadmin, StaffDetails("admin110109", "另一区", "AUTHORITY_ADMIN",
                                                                       "110109"))
    haidian = await caller_of(ctx, HAIDIAN_ADMIN)
    point = next(s for s in DEMO_STAFF if s.role.value == "POINT_STAFF")
    point_id = (await caller_of(ctx, point)).subject_id
    with pytest.raises(NotFound):
        await staff_admin.set_staff_active(ctx, Caller(other.staff.id, "AUTHORITY_ADMIN", "110109"), point_id, False)
    assert await audit_rows(ctx, point_id) == []

    # Its own authority's admin may; the point's sessions end and it cannot sign in any more.
    signed = await sign_in.staff_sign_in(ctx, username=point.username, password=DEMO_STAFF_PASSWORD,
                                         totp_code=totp_code(ctx, point.totp_secret), client_id="10.1.0.3")
    disabled = await staff_admin.set_staff_active(ctx, haidian, point_id, False)
    assert not disabled.active
    with pytest.raises(Unauthenticated):
        await sign_in.resolve_session(ctx, signed.session_token)
    ctx.clock.advance(timedelta(seconds=60))
    with pytest.raises(Unauthenticated):
        await sign_in.staff_sign_in(ctx, username=point.username, password=DEMO_STAFF_PASSWORD,
                                    totp_code=totp_code(ctx, point.totp_secret), client_id="10.1.0.3")
    assert await audit_rows(ctx, point_id) == [(haidian.subject_id, "staff-disable", "disabled")]


async def test_r_staff_5_role_change_must_stay_within_the_admins_reach(pg_ctx) -> None:
    ctx = pg_ctx
    haidian = await caller_of(ctx, HAIDIAN_ADMIN)
    point = next(s for s in DEMO_STAFF if s.role.value == "POINT_STAFF")
    point_id = (await caller_of(ctx, point)).subject_id
    with pytest.raises(PermissionDenied):  # moving it out of the authority
        await staff_admin.update_staff(ctx, haidian, point_id, StaffDetails("", "某人", "POINT_STAFF", "11010901"))
    changed = await staff_admin.update_staff(ctx, haidian, point_id,
                                             StaffDetails("", "海淀区管理员二", "AUTHORITY_ADMIN", "110108"))
    assert (changed.role, changed.organisation_code, changed.display_name) == ("AUTHORITY_ADMIN", "110108",
                                                                               "海淀区管理员二")
    with pytest.raises(PermissionDenied):  # nobody changes their own account
        await staff_admin.set_staff_active(ctx, haidian, haidian.subject_id, False)


async def test_r_staff_5_password_reset_keeps_the_authenticator_and_recovery_codes_work_once(pg_ctx) -> None:
    ctx = pg_ctx
    haidian = await caller_of(ctx, HAIDIAN_ADMIN)
    point = next(s for s in DEMO_STAFF if s.role.value == "POINT_STAFF")
    point_id = (await caller_of(ctx, point)).subject_id
    issued = await staff_admin.reset_staff_password(ctx, haidian, point_id)
    with pytest.raises(Unauthenticated):  # the old password stopped working
        await sign_in.staff_sign_in(ctx, username=point.username, password=DEMO_STAFF_PASSWORD,
                                    totp_code=totp_code(ctx, point.totp_secret), client_id="10.1.0.4")
    secret, started = await enrol(ctx, point.username, issued.code)
    assert secret == "" and started.totp_uri == ""  # the enrolled authenticator stays
    with pytest.raises(InvalidInput):  # a code from some other secret does not prove the phone
        await staff_enrolment.finish_enrolment(ctx, enrolment_token=started.enrolment_token,
                                               new_password=NEW_PASSWORD, new_password_confirm=NEW_PASSWORD,
                                               totp_code=totp_code(ctx, pyotp.random_base32()), client_id="10.1.0.4")
    done = await staff_enrolment.finish_enrolment(
        ctx, enrolment_token=started.enrolment_token, new_password=NEW_PASSWORD, new_password_confirm=NEW_PASSWORD,
        totp_code=totp_code(ctx, point.totp_secret), client_id="10.1.0.4")
    recovery = done.recovery_codes[3]
    assert await sign_in.staff_sign_in(ctx, username=point.username, password=NEW_PASSWORD, totp_code=recovery,
                                       client_id="10.1.0.4")
    with pytest.raises(Unauthenticated):
        await sign_in.staff_sign_in(ctx, username=point.username, password=NEW_PASSWORD, totp_code=recovery,
                                    client_id="10.1.0.4")
    assert [a for _, a, _ in await audit_rows(ctx, point_id)] == [
        "staff-password-reset", "staff-enrolled", "staff-recovery-code"]


async def test_r_staff_5_totp_reset_makes_a_new_secret_and_the_old_one_stops_working(pg_ctx) -> None:
    ctx = pg_ctx
    sysadmin = await caller_of(ctx, SYSADMIN)
    reviewer = next(s for s in DEMO_STAFF if s.role.value == "IDENTITY_REVIEWER")
    reviewer_id = (await caller_of(ctx, reviewer)).subject_id
    issued = await staff_admin.reset_staff_totp(ctx, sysadmin, reviewer_id)
    secret, started = await enrol(ctx, reviewer.username, issued.code)
    assert secret and secret != reviewer.totp_secret
    await staff_enrolment.finish_enrolment(
        ctx, enrolment_token=started.enrolment_token, new_password=NEW_PASSWORD, new_password_confirm=NEW_PASSWORD,
        totp_code=totp_code(ctx, secret), client_id="10.1.0.5")
    ctx.clock.advance(timedelta(seconds=60))
    with pytest.raises(Unauthenticated):
        await sign_in.staff_sign_in(ctx, username=reviewer.username, password=NEW_PASSWORD,
                                    totp_code=totp_code(ctx, reviewer.totp_secret), client_id="10.1.0.5")
    assert await sign_in.staff_sign_in(ctx, username=reviewer.username, password=NEW_PASSWORD,
                                       totp_code=totp_code(ctx, secret), client_id="10.1.0.5")


async def test_r_staff_5_a_setup_code_expires(pg_ctx) -> None:
    ctx = pg_ctx
    issued = await staff_admin.create_staff(ctx, await caller_of(ctx, SYSADMIN),
                                            StaffDetails("late", "迟到者", "IDENTITY_REVIEWER", ""))
    ctx.clock.advance(staff_admin.SETUP_CODE_LIFETIME + timedelta(minutes=1))
    with pytest.raises(Unauthenticated):
        await staff_enrolment.start_enrolment(ctx, username="late", setup_code=issued.code, client_id="10.1.0.6")


async def test_r_staff_5_bad_details_are_refused_with_every_problem_and_nothing_written(pg_ctx) -> None:
    with pytest.raises(InvalidInput) as bad:
        await staff_admin.create_staff(pg_ctx, await caller_of(pg_ctx, SYSADMIN),
                                       StaffDetails("two words", "", "AUTHORITY_ADMIN", ""))
    assert {p.field for p in bad.value.problems} == {"username", "display_name", "organisation_code"}
    with pytest.raises(InvalidInput) as taken:
        await staff_admin.create_staff(pg_ctx, await caller_of(pg_ctx, SYSADMIN),
                                       StaffDetails(HAIDIAN_ADMIN.username, "重名", "AUTHORITY_ADMIN", "110108"))
    assert [p.field for p in taken.value.problems] == ["username"]


async def test_r_staff_5_an_admin_unlocks_an_applicants_sign_in_from_every_address(pg_ctx, steps) -> None:
    ctx = pg_ctx
    _, number = await steps.register(ctx)
    for _ in range(ctx.security.throttle.policy.pair_max_failures):
        with pytest.raises(Unauthenticated):
            await steps.sign_in_as(ctx, number, password="Wrong#2026pw", client_id="198.51.100.20")
    with pytest.raises(TooManyRequests):
        await steps.sign_in_as(ctx, number, client_id="198.51.100.20")
    haidian = await caller_of(ctx, HAIDIAN_ADMIN)
    account_id = await staff_admin.unlock_applicant(ctx, haidian, "ID_CARD", number)
    assert await steps.sign_in_as(ctx, number, client_id="198.51.100.20")
    assert await audit_rows(ctx, account_id) == [(haidian.subject_id, "applicant-unlock", "unlocked")]
    with pytest.raises(PermissionDenied):
        point = next(s for s in DEMO_STAFF if s.role.value == "POINT_STAFF")
        await staff_admin.unlock_applicant(ctx, await caller_of(ctx, point), "ID_CARD", number)
