"""A certificate live in two plans is flagged to both authorities (R-STAFF-8), over gRPC against
the real service on PostgreSQL: at submission and on edits, numbers in canonical form (R-WIZ-11),
shown on both cases and in both lists with the other authority's name, cleared when one side
becomes final or is withdrawn."""

from __future__ import annotations

import asyncio
import uuid

from tqr.application.v1 import applications_pb2, staff_pb2
from tqr_application.adapters import orm

HAIDIAN, CHAOYANG = ("110108", "11010801"), ("110105", "11010501")


def unknown_number() -> str:
    return f"2015110{uuid.uuid4().int % 10**10:010d}"


async def case(app, h, application_id: str, authority: str):
    return (await app.call(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
        application_id=application_id), h.staff("AUTHORITY_ADMIN", authority))).application


async def flagged(app, h, authority: str) -> set[str]:
    found = await app.call(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(
        other_plan_only=True, page_size=100), h.staff("AUTHORITY_ADMIN", authority))
    assert all(a.also_in_other_plan for a in found.applications)
    return {a.application_id for a in found.applications}


async def submit_in(app, who, where: tuple[str, str], certificate: str):
    authority, point = where
    return await app.submit_new(who, authority=authority, point=point, certificate=certificate)


async def test_r_staff_8_one_applicant_in_two_plans_is_flagged_to_both_authorities(app, h):
    who = h.new_applicant()
    number = unknown_number()
    first = await submit_in(app, who, HAIDIAN, number)
    assert not (await case(app, h, first.application_id, "110108")).also_in_other_plans
    # The same certificate at another authority, typed full width (R-WIZ-11).
    second = await submit_in(app, who, CHAOYANG, h.full_width(number))
    alone = await submit_in(app, h.new_applicant(), HAIDIAN, unknown_number())
    mine = await case(app, h, first.application_id, "110108")
    theirs = await case(app, h, second.application_id, "110105")
    assert [(o.authority_code, o.authority_name) for o in mine.also_in_other_plans] == [("110105", "区110105教育委员会")]
    assert [(o.authority_code, o.authority_name) for o in theirs.also_in_other_plans] == [("110108", "区110108教育委员会")]
    assert not mine.certificate_claimed_by_another  # the same applicant: no R-WIZ-10 conflict
    assert not (await case(app, h, alone.application_id, "110108")).also_in_other_plans
    # Each authority's list shows its own side only.
    assert first.application_id in await flagged(app, h, "110108")
    assert second.application_id not in await flagged(app, h, "110108")
    assert await flagged(app, h, "110105") >= {second.application_id}
    listed = await app.call(app.staff.SearchApplications, staff_pb2.SearchApplicationsRequest(page_size=100),
                            h.staff("AUTHORITY_ADMIN", "110108"))
    marks = {a.application_id: a.also_in_other_plan for a in listed.applications}
    assert marks[first.application_id] and not marks[alone.application_id]
    # The applicant does not see the mark (it is for the authorities).
    own = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=first.application_id), who.actor)).application
    assert not own.also_in_other_plans
    # One side becomes final (the first authority rejects it after confirmation): both marks go.
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=first.application_id, action="CONFIRM_ON_SITE"), h.staff("POINT_STAFF", HAIDIAN[1]))
    assert (await case(app, h, second.application_id, "110105")).also_in_other_plans  # confirmed is still live
    await app.call(app.staff.DecideApplication, staff_pb2.DecideApplicationRequest(
        application_id=first.application_id, action="REJECT", reason="继续教育学时不足"),
        h.staff("AUTHORITY_ADMIN", "110108"))
    assert not (await case(app, h, second.application_id, "110105")).also_in_other_plans
    assert not (await case(app, h, first.application_id, "110108")).also_in_other_plans
    assert second.application_id not in await flagged(app, h, "110105")


async def test_r_staff_8_another_applicant_in_another_plan_is_flagged_and_a_withdrawal_clears_it(app, h):
    number = unknown_number()
    one, other = h.new_applicant(), h.new_applicant()
    first = await submit_in(app, one, HAIDIAN, number)
    second = await submit_in(app, other, CHAOYANG, f"{number[:6]} {number[6:].lower()}")
    mine = await case(app, h, first.application_id, "110108")
    assert [o.authority_code for o in mine.also_in_other_plans] == ["110105"]
    assert mine.certificate_claimed_by_another  # R-WIZ-10 as well: another applicant
    await app.call(app.applicant.WithdrawApplication, applications_pb2.WithdrawApplicationRequest(
        application_id=second.application_id, reason="选错了"), other.actor)
    assert not (await case(app, h, first.application_id, "110108")).also_in_other_plans
    t = orm.cross_plan_duplicates
    assert await app.count(t, t.c.application_id.in_([first.application_id, second.application_id])) == 0


async def test_r_staff_8_an_edit_to_the_number_flags_and_unflags(app, h):
    number = unknown_number()
    first = await submit_in(app, h.new_applicant(), HAIDIAN, number)
    editor = h.new_applicant()
    second = await submit_in(app, editor, CHAOYANG, unknown_number())
    assert not (await case(app, h, first.application_id, "110108")).also_in_other_plans

    async def change_number(typed: str, version: int) -> None:
        await app.call(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
            application_id=second.application_id, expected_version=version,
            certificate=applications_pb2.CertificateEdit(
                certificate_number=typed, holder_name=editor.identity.name, certificate_type_code="PRIMARY",
                subject_code="MATH", issuing_body="北京市海淀区教育委员会", issue_date="2015-07-01")), editor.actor)

    await change_number(h.full_width(number), 1)
    assert [o.authority_code for o in (await case(app, h, first.application_id, "110108")).also_in_other_plans] \
        == ["110105"]
    assert [o.authority_code for o in (await case(app, h, second.application_id, "110105")).also_in_other_plans] \
        == ["110108"]
    await change_number(unknown_number(), 2)
    assert not (await case(app, h, first.application_id, "110108")).also_in_other_plans
    assert not (await case(app, h, second.application_id, "110105")).also_in_other_plans


async def test_r_staff_8_two_plans_submitting_the_same_number_at_once_both_flag(app, h):
    """The number's lock pairs concurrent submissions: neither misses the other's row."""
    for _ in range(3):
        number = unknown_number()
        one, other = h.new_applicant(), h.new_applicant()
        await app.fill_until_point(one, certificate=number, authority=HAIDIAN[0])
        await app.fill_until_point(other, certificate=number, authority=CHAOYANG[0])
        first, second = await asyncio.gather(app.submit_from_point(one, point=HAIDIAN[1]),
                                             app.submit_from_point(other, point=CHAOYANG[1]))
        assert (await case(app, h, first.application_id, "110108")).also_in_other_plans
        assert (await case(app, h, second.application_id, "110105")).also_in_other_plans
