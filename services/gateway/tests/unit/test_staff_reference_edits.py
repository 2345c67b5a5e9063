"""The console's reference-data pages (R-REF-2, R-REF-3): who reaches which form, what each form
sends to the application service, its refusals shown beside the fields, and an import previewed,
then confirmed with the very files previewed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from servicekit import errors
from servicekit.errors import FieldProblem

from services.gateway.tests.unit.staff_fakes import Console, console


@pytest.fixture(scope="module")
def staff() -> Iterator[Console]:
    with console() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(staff: Console) -> None:
    staff.calls.clear()
    staff.calls.fail.clear()


def test_r_ref_2_the_guiding_centre_changes_an_authority(staff: Console) -> None:
    staff.sign_in("tok-sysadmin")
    form = staff.client.get("/staff/reference/authorities/110108")
    assert form.status_code == 200 and 'value="海淀区教委"' in form.text
    done = staff.post("/staff/reference/authorities/110108", {"name": "海淀区教委", "address": "新地址 1 号",
                                                              "phone": "010-88888888"})
    assert done.status_code == 303 and done.headers["location"] == "/staff/reference?done=authority"
    [(sent, _actor)] = staff.calls.of("update_authority")
    assert (sent.code, sent.address, sent.phone) == ("110108", "新地址 1 号", "010-88888888")
    assert "注册机构信息已保存" in staff.client.get("/staff/reference?done=authority").text


def test_r_ref_2_a_refused_value_is_shown_beside_its_field_and_kept(staff: Console) -> None:
    staff.sign_in("tok-sysadmin")
    staff.calls.fail["update_authority"] = errors.InvalidInput(
        [FieldProblem("phone", "R-REF-2", "电话号码格式不对", "malformed phone number")], code="R-REF-2")
    answer = staff.post("/staff/reference/authorities/110108", {"name": "海淀区教委", "address": "a", "phone": "电话"})
    assert answer.status_code == 422
    assert 'href="#phone"' in answer.text and "电话号码格式不对" in answer.text
    assert 'value="电话"' in answer.text


def test_r_ref_2_code_list_names_are_changed_by_the_guiding_centre_only(staff: Console) -> None:
    staff.sign_in("tok-sysadmin")
    page = staff.client.get("/staff/reference")
    assert "/staff/reference/codes/teaching_stages/PRIMARY" in page.text
    done = staff.post("/staff/reference/codes/teaching_stages/PRIMARY", {"name": "小学（含教学点）"})
    assert done.status_code == 303
    [(sent, _actor)] = staff.calls.of("rename_code")
    assert (sent.list_name, sent.code, sent.name) == ("teaching_stages", "PRIMARY", "小学（含教学点）")
    staff.sign_in("tok-admin")
    assert staff.client.get("/staff/reference/codes/teaching_stages/PRIMARY").status_code == 403
    assert staff.post("/staff/reference/codes/teaching_stages/PRIMARY", {"name": "x"}).status_code == 403
    assert len(staff.calls.of("rename_code")) == 1


def test_r_ref_2_an_authority_admin_edits_its_points_details_and_point_staff_see_no_such_form(staff: Console) -> None:
    staff.sign_in("tok-admin")
    points = staff.client.get("/staff/points")
    assert "/staff/points/11010802/details" in points.text
    done = staff.post("/staff/points/11010802/details", {"address": "学府路 2 号", "phone": "010-61000002",
                                                         "scope": "民办学校教师"})
    assert done.status_code == 303 and done.headers["location"] == "/staff/points?done=details"
    [(sent, actor)] = staff.calls.of("update_point")
    assert (sent.code, sent.scope) == ("11010802", "民办学校教师") and actor.organisation_code == "110108"
    staff.sign_in("tok-point")
    assert "/staff/points/11010801/details" not in staff.client.get("/staff/points").text


def test_r_ref_3_an_import_is_previewed_then_confirmed_with_the_same_files(staff: Console) -> None:
    staff.sign_in("tok-sysadmin")
    assert 'enctype="multipart/form-data"' in staff.client.get("/staff/reference/import").text
    csv_text = "code,name\nART,美术\nMUSIC,音乐\n"
    token = staff.csrf()
    preview = staff.client.post("/staff/reference/import", data={"csrf_token": token, "step": "preview"},
                                files={"subjects.csv": ("subjects.csv", csv_text.encode("utf-8-sig"), "text/csv")})
    assert preview.status_code == 200
    assert "预览：将要新增的内容" in preview.text and "美术" in preview.text and "音乐" in preview.text
    [(sent, _actor)] = staff.calls.of("import_reference")
    assert sent.dry_run is True and sent.files == {"subjects.csv": csv_text}
    carried = dict(re.findall(r'<input type="hidden" name="(csv-[^"]+)" value="([^"]+)">', preview.text))
    done = staff.post("/staff/reference/import", {"step": "import", **carried})
    assert done.status_code == 200 and "导入完成" in done.text
    second = staff.calls.of("import_reference")[1][0]
    assert second.dry_run is False and second.files == {"subjects.csv": csv_text}


def test_r_ref_3_rows_with_errors_are_listed_and_nothing_can_be_confirmed(staff: Console) -> None:
    staff.sign_in("tok-sysadmin")
    token = staff.csrf()
    answer = staff.client.post("/staff/reference/import", data={"csrf_token": token, "step": "preview"},
                               files={"subjects.csv": ("subjects.csv", b"code,name\nBAD,x\n", "text/csv")})
    assert answer.status_code == 422
    assert "没有导入任何数据" in answer.text and "代码不对" in answer.text
    assert 'value="import"' not in answer.text


def test_r_ref_3_no_file_or_a_file_that_is_not_utf8_is_asked_for_again(staff: Console) -> None:
    staff.sign_in("tok-sysadmin")
    nothing = staff.post("/staff/reference/import", {"step": "preview"})
    assert nothing.status_code == 422 and "请至少选择一个 CSV 文件" in nothing.text
    token = staff.csrf()
    gbk = staff.client.post("/staff/reference/import", data={"csrf_token": token, "step": "preview"},
                            files={"subjects.csv": ("subjects.csv", "code,name\nART,美术\n".encode("gbk"), "text/csv")})
    assert gbk.status_code == 422
    forged = staff.post("/staff/reference/import", {"step": "import", "csv-subjects.csv": "not base64!"})
    assert forged.status_code == 422
    assert staff.calls.of("import_reference") == []
