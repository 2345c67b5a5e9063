"""The wizard's pages over fake services: flow, errors beside fields, warnings, CSRF (R-WIZ-1..9)."""

from __future__ import annotations

import re

import httpx
import pytest
from tqr.common.v1.vocabulary_pb2 import GENDER_FEMALE

from services.gateway.tests.unit.wizard_fakes import (
    NO_PLAN_AUTHORITY,
    REGISTRY_NUMBER,
    State,
    csrf_of,
    gateway,
    sign_in,
)

pytestmark = pytest.mark.redis


@pytest.fixture
def state() -> State:
    return State()


async def post(client: httpx.AsyncClient, path: str, data: dict[str, object], page: str | None = None) -> httpx.Response:
    html = (await client.get(page or path)).text
    return await client.post(path, data={**data, "csrf_token": csrf_of(html)})


async def walk_to(client: httpx.AsyncClient, step: int, certificate: str = "12345678901234567",
                  **details: str) -> None:
    """Answer steps 1 .. step-1; ``details`` replaces step 4's answers."""
    answers: dict[int, dict[str, object]] = {
        1: {}, 2: {"accept": "yes"}, 3: {"certificate_number": certificate},
        4: {"holder_name": "欧阳倩", "gender": "F", "birth_date-year": "1976", "birth_date-month": "5",
            "birth_date-day": "28", "certificate_type_code": "PRIMARY_CERT", "subject_code": "MATH",
            "issuing_body": "广州市教育局", "issue_date-year": "2000", "issue_date-month": "9", "issue_date-day": "1",
            "authority_code": "110108", "teaching_stage_code": "PRIMARY", "teaching_subject_code": "MATH",
            "action": "save"},
        5: {"point_code": "P1"}, 6: {},
    }
    answers[4].update(details)
    for n in range(1, step):
        response = await post(client, f"/apply/step/{n}", answers[n])
        assert response.status_code == 303, (n, response.text[:2000])


async def test_apply_without_a_session_goes_to_the_sign_in_page(state: State) -> None:
    async with gateway(state) as client:
        response = await client.get("/apply")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/account/login?next=/apply")


async def test_apply_starts_a_draft_and_lands_on_the_current_step(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        first = await client.get("/apply")
        assert first.headers["location"] == "/apply/step/1"
        page = await client.get("/apply/step/1")
    assert "第 1 步，共 8 步" in page.text
    assert state.started_identities[0].account_id == "acc-a"
    assert state.started_identities[0].gender == GENDER_FEMALE  # identity's value, passed on as it is


async def test_r_wiz_1_early_next_is_refused_with_a_message_and_the_countdown(state: State) -> None:
    state.must_read_ready = False
    async with gateway(state) as client:
        sign_in(client)
        await client.get("/apply")
        page = await client.get("/apply/step/1")
        assert 'data-countdown="3"' in page.text and "countdown.js" in page.text
        assert 'aria-live="polite"' in page.text
        refused = await post(client, "/apply/step/1", {})
    assert refused.status_code == 400
    assert "页面显示 3 秒后才能进入下一步" in refused.text
    assert "error-summary" in refused.text and "<title>错误：" in refused.text
    assert not state.saved_steps


async def test_r_wiz_2_not_accepting_the_terms_shows_the_message_beside_the_choice(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 2)
        refused = await post(client, "/apply/step/2", {"accept": "no"})
    assert refused.status_code == 400
    assert 'id="accept-error"' in refused.text and "接受" in refused.text
    assert 'href="#accept"' in refused.text


async def test_r_wiz_3_unusual_number_shows_a_warning_with_two_buttons_then_continue_overrides(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 3)
        warned = await post(client, "/apply/step/3", {"certificate_number": "1234"})
        assert warned.status_code == 200
        assert "warning-block" in warned.text
        assert 'name="decision" value="back"' in warned.text and 'name="decision" value="continue"' in warned.text
        assert "返回修改" in warned.text and "仍然继续" in warned.text
        assert 'value="1234"' in warned.text  # the answer is kept
        assert "17 位数字" in warned.text  # the hint
        stay = await client.post("/apply/step/3", data={"certificate_number": "1234", "decision": "back",
                                                         "warning_code": "R-WIZ-3", "csrf_token": csrf_of(warned.text)})
        assert stay.status_code == 200 and "warning-block" not in stay.text
        go_on = await client.post("/apply/step/3", data={"certificate_number": "1234", "decision": "continue",
                                                          "warning_code": "R-WIZ-3", "csrf_token": csrf_of(warned.text)})
    assert go_on.status_code == 303 and go_on.headers["location"] == "/apply/step/4"
    assert list(state.saved_steps[-1].override_warnings) == ["R-WIZ-3"]


async def test_r_wiz_4_registry_certificate_is_read_only_with_the_photo(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 4, certificate=REGISTRY_NUMBER)
        page = await client.get("/apply/step/4")
    assert "data:image/png;base64," in page.text
    assert 'name="holder_name"' not in page.text  # locked: not editable
    assert "广州市教育局" in page.text


async def test_r_wiz_4_only_step_4s_page_asks_for_the_registry_photo(state: State) -> None:
    """The photo is a person's: it travels to the page that shows it (step 4's, also drawn again at a
    choice of place and when its answers are refused), not with every page or saved step."""
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 6, certificate=REGISTRY_NUMBER)  # steps saved: 3 with the number, 4, 5
        asked = state.photo_reads  # the walk's own look at step 4's page, for its form's token
        others = [await client.get(f"/apply/step/{n}") for n in (2, 3, 5, 6)]
        asked_by_others = state.photo_reads - asked
        shown = await client.get("/apply/step/4")
        chosen = await post(client, "/apply/step/4", {"authority_code": "110108", "action": "filter"}, page="/help/faq")
        refused = await post(client, "/apply/step/4", {"authority_code": NO_PLAN_AUTHORITY, "action": "save"},
                             page="/help/faq")
    assert asked == 1 and asked_by_others == 0
    assert all(page.status_code == 200 and "data:image/png;base64," not in page.text for page in others)
    assert state.photo_reads - asked == 3
    assert [page.status_code for page in (shown, chosen, refused)] == [200, 200, 400]
    assert all("data:image/png;base64," in page.text for page in (shown, chosen, refused))


async def test_r_wiz_4_self_filled_errors_appear_in_the_summary_and_beside_the_field(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 4)
        refused = await post(client, "/apply/step/4", {"holder_name": "", "authority_code": "110108", "action": "save"})
    assert refused.status_code == 400
    assert 'href="#holder_name"' in refused.text and 'id="holder_name-error"' in refused.text
    assert 'name="issue_date-year"' in refused.text  # dates as year / month / day boxes


async def test_r_plan_2_an_authority_without_plan_is_refused_beside_the_authority_list(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 4)
        refused = await post(client, "/apply/step/4", {"holder_name": "欧阳倩", "authority_code": "110106",
                                                       "action": "save"})
    assert refused.status_code == 400
    assert 'id="authority_code-error"' in refused.text and "尚未设置注册计划" in refused.text


async def test_r_wiz_5_points_show_their_window_and_scope(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 5)
        page = await client.get("/apply/step/5")
    assert "海淀区第一确认点" in page.text and "全区中小学" in page.text and "中关村大街" in page.text


async def test_r_wiz_5_a_point_whose_confirmation_window_ended_is_shown_closed_not_offered(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 5)
        page = await client.get("/apply/step/5")
    offered = re.findall(r'name="point_code" type="radio" value="([^"]+)"', page.text)
    assert offered == ["P1"]
    closed = page.text[page.text.index('id="closed-points"'):]
    assert "海淀区已结束确认点" in closed and "已结束" in closed
    assert "2026年3月1日 09:00" in closed and "2026年3月10日 17:00" in closed


async def test_r_wiz_6_notes_button_says_read_and_next(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 6)
        page = await client.get("/apply/step/6")
    assert "已阅读并下一步" in page.text


def materials_form(hours: str = "360") -> dict[str, object]:
    data: dict[str, object] = {
        "rows": "1", "action": "save", "email": "teacher@example.com", "school": "海淀实验小学", "post": "数学教师",
        "employment_start-year": "2015", "employment_start-month": "9", "employment_start-day": "1",
        "work_history-0-start-year": "2015", "work_history-0-start-month": "9", "work_history-0-start-day": "1",
        "work_history-0-school": "海淀实验小学", "work_history-0-post": "数学教师",
        "ethics_assessment": "合格", "continuing_education_hours": hours,
    }
    for year in range(2019, 2031):
        data[f"assessment-{year}"] = "合格"
    return data


async def save_materials(client: httpx.AsyncClient, data: dict[str, object]) -> httpx.Response:
    """Step 7's four pages at once (the whole section posted to its last page), then its summary's
    "继续"; the answer to that."""
    saved = await post(client, "/apply/step/7/ethics", data, page="/apply/step/7/contact")
    assert saved.headers["location"] == "/apply/step/7/summary", saved.text[:2000]
    return await post(client, "/apply/step/7/summary", {})


async def test_r_wiz_8_check_page_then_one_application_for_a_double_submit(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        saved = await save_materials(client, materials_form(hours="100"))
        assert saved.headers["location"] == "/apply/check"
        check = await client.get("/apply/check")
        assert check.text.count(">修改<") >= 10
        assert "继续教育学时不足 360 学时" in check.text  # the eligibility pre-check, as a warning
        key = re.search(r'name="idempotency_key" value="([^"]+)"', check.text).group(1)
        token = csrf_of(check.text)
        first = await client.post("/apply/submit", data={"idempotency_key": key, "csrf_token": token})
        second = await client.post("/apply/submit", data={"idempotency_key": key, "csrf_token": token})
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"] == "/apply/done/app-1"
        done = await client.get("/apply/done/app-1")
        resume = await client.get("/apply")
    assert len(state.applications) == 1
    assert "2026110108000001" in done.text and "欧阳倩" in done.text and "4401**********8395" in done.text
    assert "teacher@example.com" in done.text and "12345678901234567" in done.text
    assert "中关村大街" in done.text and 'action="/portal/applications/app-1/form"' in done.text
    assert "密码" not in done.text.split("<main", 1)[1]
    assert resume.headers["location"] == "/apply/done"


def summary_value(html: str, key: str) -> str:
    """The value the check page shows in the row labelled ``key``."""
    found = re.search(rf'<dt class="summary-list__key">{key}</dt>\s*<dd class="summary-list__value">\s*(.*?)\s*</dd>',
                      html, re.S)
    assert found, f"no row {key}"
    return found.group(1)


async def test_check_page_names_the_teaching_stage_not_the_certificate_type_sharing_its_code(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7, certificate_type_code="SENIOR_SECONDARY", teaching_stage_code="SENIOR_SECONDARY",
                      subject_code="")
        await save_materials(client, materials_form())
        check = await client.get("/apply/check")
    # What the printed form files: 任教学段 from the stages, 资格种类 from the types, 无 for no subject.
    assert summary_value(check.text, "现任教学段") == "高级中学"
    assert summary_value(check.text, "资格种类") == "高级中学教师资格"
    assert summary_value(check.text, "证书上的任教学科") == "无"
    assert summary_value(check.text, "现任教学科") == "数学"
    # The point as the form states it: name, address and the confirmation window.
    assert summary_value(check.text, "现场确认点") == (
        "海淀区第一确认点<br>北京市海淀区中关村大街 1 号<br>2036年3月20日 09:00 – 2036年3月20日 18:00")


async def test_r_wiz_7_a_post_without_the_csrf_token_changes_nothing(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await client.get("/apply")
        refused = await client.post("/apply/step/1", data={})
    assert refused.status_code == 403
    assert not state.saved_steps


async def test_resume_from_another_device_lands_on_the_current_step(state: State) -> None:
    async with gateway(state) as first:
        sign_in(first)
        await walk_to(first, 4)
    async with gateway(state) as second:
        sign_in(second)
        landed = await second.get("/apply")
    assert landed.headers["location"] == "/apply/step/4"


async def test_language_switch_keeps_the_saved_answers(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 4)
        client.cookies.set("lang", "en")
        page = await client.get("/apply/step/3")
    assert "Step 3 of 8" in page.text and "Your certificate number" in page.text
    assert 'value="12345678901234567"' in page.text


async def test_r_wiz_7_step_7_asks_for_the_served_cycle_and_results(state: State) -> None:
    """The years asked for and the results offered are the application service's (GetWorkflowRules)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        served = (await post(client, "/apply/step/7/assessments?show=1", {}, page="/apply/step/7/contact")).text
        assert f'name="assessment-{year - 5}"' in served and f'name="assessment-{year - 6}"' not in served
        state.rules.cycle_years = 6  # a fresh gateway asks again (one answer per minute per process)
        state.rules.annual_assessment_results.append("待定")
    async with gateway(state) as client:
        sign_in(client)
        page = (await post(client, "/apply/step/7/assessments?show=1", {}, page="/apply/step/7/contact")).text
    assert f'name="assessment-{year - 6}"' in page and f'name="assessment-{year}"' not in page
    assert ">待定<" in page


async def test_r_app_7_step_7_offers_the_accounts_email_until_one_is_saved(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        offered = (await client.get("/apply/step/7/contact")).text
        assert 'value="teacher@example.com"' in offered  # the account's address (wizard_fakes)
        await save_materials(client, {**materials_form(), "email": "school.copy@example.com"})
        again = (await client.get("/apply/step/7/contact")).text
    assert 'value="school.copy@example.com"' in again and 'value="teacher@example.com"' not in again


async def test_a_step_saved_in_the_browser_asks_the_service_once_and_a_refused_one_reads_the_draft(
        state: State) -> None:
    """A saved step is one call (the service checks reach and submission itself); the draft is read
    only to show the page again or to send the person where the draft is."""
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 2)
        html = (await client.get("/apply/step/2")).text
        reads = state.draft_reads
        saved = await client.post("/apply/step/2", data={"accept": "yes", "csrf_token": csrf_of(html)})
        assert saved.status_code == 303 and saved.headers["location"] == "/apply/step/3"
        assert state.draft_reads == reads  # no read before the save

        refused = await client.post("/apply/step/2", data={"accept": "", "csrf_token": csrf_of(html)})
        assert refused.status_code == 400 and "接受" in refused.text and state.draft_reads == reads + 1

        saves = len(state.saved_steps)
        beyond = await client.post("/apply/step/6", data={"csrf_token": csrf_of(html)})
        assert beyond.status_code == 303 and beyond.headers["location"] == "/apply/step/3"
        assert len(state.saved_steps) == saves  # refused by the service: nothing saved

        next(iter(state.drafts.values())).submitted = True
        done = await client.post("/apply/step/2", data={"accept": "yes", "csrf_token": csrf_of(html)})
        assert done.status_code == 303 and done.headers["location"] == "/apply/done"


async def test_a_step_posted_before_any_draft_exists_starts_at_the_apply_page(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        html = (await client.get("/help/faq")).text
        posted = await client.post("/apply/step/1", data={"csrf_token": csrf_of(html)})
        assert posted.status_code == 303 and posted.headers["location"] == "/apply"
        assert not state.saved_steps
