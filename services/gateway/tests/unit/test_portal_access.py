"""The applicant's application page names the organisations that looked at or handled it, and when,
never the person (R-STAFF-9); without an answer from the service the rest of the page still works."""

from __future__ import annotations

import pytest
from tqr.application.v1 import applications_pb2 as apps

from services.gateway.tests.unit.test_portal_pages import submitted
from services.gateway.tests.unit.wizard_fakes import State, gateway, sign_in

pytestmark = pytest.mark.redis


def _access(seconds: int, code: str, name: str, changed: bool, action: str) -> apps.ApplicationAccess:
    entry = apps.ApplicationAccess(organisation_code=code, organisation_name=name, changed=changed, action=action)
    entry.at.FromSeconds(seconds)
    return entry


async def test_r_staff_9_applicant_sees_which_organisation_looked_or_changed_and_when_not_who() -> None:
    state = State()
    submitted(state)
    state.access = [_access(1_770_200_000, "110108", "北京市海淀区教育委员会", True, "APPROVE_REGISTERED"),
                    _access(1_770_100_000, "11010801", "海淀区第一确认点", False, "VIEW_APPLICATION")]
    async with gateway(state) as client:
        sign_in(client)
        page = await client.get("/portal/applications/app-9")
    assert page.status_code == 200
    table = page.text[page.text.index('id="access"'):]
    table = table[:table.index("</table>")]
    assert "北京市海淀区教育委员会" in table and "处理了您的申请" in table
    assert "海淀区第一确认点" in table and "查看了您的申请" in table
    assert "2026年2月5日" in table or "2026年2月4日" in table
    # No person and no staff role: the page has only what the service sent, which names none.
    for leak in ("POINT_STAFF", "AUTHORITY_ADMIN", "point11010801", "admin110108", "APPROVE_REGISTERED"):
        assert leak not in table


async def test_r_staff_9_without_the_access_list_the_application_page_still_works() -> None:
    state = State()
    submitted(state)
    state.access = None
    async with gateway(state) as client:
        sign_in(client)
        page = await client.get("/portal/applications/app-9")
    assert page.status_code == 200 and "暂时无法显示查看记录" in page.text and "经审核材料不全" in page.text
