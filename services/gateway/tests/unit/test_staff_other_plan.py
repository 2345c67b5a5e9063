"""R-STAFF-8 in the staff console: a certificate live in another plan is marked on the case (naming
the other authority, nothing of its application) and in the list, which can be narrowed to such
cases; the JSON API carries the same. Against fakes of the staff clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.gateway.tests.unit.staff_fakes import APP_ID, OTHER_PLAN_APP_ID, Console, console


@pytest.fixture(scope="module")
def staff_console() -> Iterator[Console]:
    with console() as running:
        yield running


@pytest.fixture
def as_admin(staff_console: Console) -> Console:
    staff_console.client.cookies.delete("lang")
    staff_console.sign_in("tok-admin")
    staff_console.calls.clear()
    return staff_console


def test_r_staff_8_the_case_names_the_other_authority(as_admin: Console) -> None:
    case = as_admin.client.get(f"/staff/applications/{OTHER_PLAN_APP_ID}")
    assert case.status_code == 200
    assert 'id="other-plan"' in case.text and "证书在其他计划中也有申请" in case.text
    assert "北京市朝阳区教育委员会（110105）" in case.text
    assert 'id="other-plan"' not in as_admin.client.get(f"/staff/applications/{APP_ID}").text
    api = as_admin.client.get(f"/api/v1/staff/applications/{OTHER_PLAN_APP_ID}").json()
    assert api["also_in_other_plans"] == [{"authority_code": "110105", "authority_name": "北京市朝阳区教育委员会"}]
    as_admin.client.cookies.set("lang", "en")
    english = as_admin.client.get(f"/staff/applications/{OTHER_PLAN_APP_ID}")
    assert "Certificate also in another plan" in english.text and "110105" in english.text


def test_r_staff_8_the_list_marks_and_filters_certificates_in_another_plan(as_admin: Console) -> None:
    assert "/staff/applications?other_plan=1" in as_admin.client.get("/staff").text
    listed = as_admin.client.get("/staff/applications")
    assert 'name="other_plan"' in listed.text
    rows = listed.text.split("<tr")
    marked = [r for r in rows if "（证书在其他计划中也有申请）" in r]
    assert len(marked) == 1 and "申请人1" in marked[0]
    narrowed = as_admin.client.get("/staff/applications?other_plan=1")
    assert "申请人1" in narrowed.text and "申请人0" not in narrowed.text
    # The next page keeps the filter.
    assert 'name="other_plan" value="1"' in narrowed.text
    answer = as_admin.post_json("/api/v1/staff/applications/search", {"other_plan_only": True})
    assert [a["also_in_other_plan"] for a in answer.json()["applications"]] == [True]
    assert [args.other_plan_only for args, _ in as_admin.calls.of("search")] == [False, True, True]
