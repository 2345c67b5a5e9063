"""Issue 19 item 19 in the console over fakes: the authority's own materials checklist (edited by
its admins, offered to its points), and the items an applicant said are ready, marked for the point."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.gateway.tests.unit.staff_fakes import APP_ID, INCOMPLETE_APP_ID, Console, console


@pytest.fixture
def running() -> Iterator[Console]:
    with console() as c:
        yield c


def test_an_authority_admin_sets_the_checklist_as_lines_and_points_are_offered_it(running: Console) -> None:
    running.sign_in("tok-admin")
    page = running.client.get("/staff/checklist")
    assert page.status_code == 200 and "默认清单" in page.text and "体检合格证明 | Proof of a passed health check" in page.text
    assert 'href="/staff/checklist"' in page.text  # in the admin's navigation
    saved = running.post("/staff/checklist", {"lines": "签名的申请表 | The signed form\n\n  园长推荐信  \n"})
    assert saved.status_code == 303 and saved.headers["location"] == "/staff/checklist?done=saved"
    [(sent, actor)] = running.calls.of("set_materials_checklist")
    assert [(i.name_zh, i.name_en) for i in sent.items] == [("签名的申请表", "The signed form"), ("园长推荐信", "")]
    assert actor is not None and actor.organisation_code == "110108"
    after = running.client.get("/staff/checklist?done=saved")
    assert "材料清单已保存" in after.text and "本机构的清单" in after.text

    running.sign_in("tok-point")
    form = running.client.get(f"/staff/applications/{APP_ID}/actions/MARK_MATERIALS_INCOMPLETE")
    assert "园长推荐信" in form.text and "体检合格证明" not in form.text
    running.calls.clear()
    taken = running.post(f"/staff/applications/{APP_ID}/actions/MARK_MATERIALS_INCOMPLETE",
                         {"materials": ["ITEM_2"], "other_materials": "单位出具的任教证明"})
    assert taken.status_code == 303
    [(act, _)] = running.calls.of("act")
    assert list(act.missing_materials) == ["园长推荐信", "单位出具的任教证明"]


def test_a_bad_checklist_is_refused_beside_the_box_and_points_cannot_edit_it(running: Console) -> None:
    running.sign_in("tok-admin")
    refused = running.post("/staff/checklist", {"lines": " | only English"})
    assert refused.status_code == 422 and "中文名称应为 1 至 100 个字" in refused.text
    assert 'href="#lines"' in refused.text
    assert running.calls.checklist == []  # nothing changed
    too_many = running.post("/staff/checklist", {"lines": "\n".join(f"材料{i}" for i in range(31))})
    assert too_many.status_code == 422 and "清单最多 30 项" in too_many.text
    running.sign_in("tok-point")
    assert running.client.get("/staff/checklist").status_code == 403
    assert running.post("/staff/checklist", {"lines": "别的"}).status_code == 403


def test_items_the_applicant_said_are_ready_are_marked_and_ticked_again_for_the_point(running: Console) -> None:
    running.sign_in("tok-point")
    page = running.client.get(f"/staff/applications/{INCOMPLETE_APP_ID}")
    assert "申请人已于 2026年3月10日 08:00 告知已备齐下列材料" in page.text
    marked = page.text[page.text.index('id="missing-materials-list"'):]
    assert marked.count("待核对") == 2 and "单位出具的任教证明" in marked
    confirm = running.client.get(f"/staff/applications/{INCOMPLETE_APP_ID}/actions/CONFIRM_ON_SITE")
    assert "请逐项核对申请人补交的材料" in confirm.text and "教师资格证书原件" in confirm.text
    again = running.client.get(f"/staff/applications/{INCOMPLETE_APP_ID}/actions/MARK_MATERIALS_INCOMPLETE")
    assert 'value="CERTIFICATE" id="material-CERTIFICATE" checked' in again.text  # on the checklist: ticked
    assert ">单位出具的任教证明</textarea>" in again.text  # typed before: in the free text again


def test_the_checklist_through_the_api(running: Console) -> None:
    running.sign_in("tok-point")
    default = running.client.get("/api/v1/staff/materials-checklist")
    assert default.status_code == 200 and not default.json()["customised"] and default.json()["items"]
    assert running.post_json("/api/v1/staff/materials-checklist", {"items": [{"name_zh": "别的"}]},
                             method="PUT").status_code == 403
    running.sign_in("tok-admin")
    bad = running.post_json("/api/v1/staff/materials-checklist", {"items": [{"name_zh": " "}]}, method="PUT")
    assert bad.status_code == 422 and bad.json()["errors"][0]["message_zh"]
    saved = running.post_json("/api/v1/staff/materials-checklist",
                              {"items": [{"name_zh": "园长推荐信", "name_en": "A letter from the head"}]}, method="PUT")
    assert saved.status_code == 200 and saved.json()["customised"]
    assert saved.json()["items"] == [{"code": "ITEM_1", "name_zh": "园长推荐信", "name_en": "A letter from the head"}]
    running.sign_in("tok-point")
    view = running.client.get(f"/api/v1/staff/applications/{INCOMPLETE_APP_ID}").json()
    assert view["materials_resubmitted_at"].startswith("2026-03-10") and view["missing_materials"]
