"""Step 7 (申请材料, R-WIZ-7) over four pages of one topic each and a summary, over the one draft:
each page's errors on that page, rows added without JavaScript with the focus in the new row, the
answers carried between the pages until the step can be saved, then saved page by page."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.gateway.tests.unit.test_wizard_pages import materials_form, post, save_materials, walk_to
from services.gateway.tests.unit.wizard_fakes import State, csrf_of, gateway, sign_in

pytestmark = pytest.mark.redis

CONTACT = ("email", "school", "post", "employment_start-year", "employment_start-month", "employment_start-day")


@pytest.fixture
def state() -> State:
    return State()


def only(data: dict[str, object], *prefixes: str) -> dict[str, object]:
    """The fields of ``data`` a page shows (by name prefix), with "下一步"."""
    return {k: v for k, v in data.items() if k.startswith(prefixes)} | {"action": "save"}


async def follow(client: httpx.AsyncClient, response: httpx.Response, data: dict[str, object],
                 token: str) -> httpx.Response:
    """A 307 as the browser follows it: the same form posted to the new address."""
    assert response.status_code == 307, response.text[:2000]
    return await client.post(response.headers["location"], data={**data, "csrf_token": token})


def hidden(html: str, name: str) -> str | None:
    found = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)">', html)
    return found.group(1) if found else None


async def test_r_wiz_7_step_7_is_four_pages_of_one_topic_each_then_a_summary(state: State) -> None:
    full = materials_form()
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        landed = await client.get("/apply/step/7")
        assert landed.headers["location"] == "/apply/step/7/contact"
        contact = await client.get("/apply/step/7/contact")
        assert "第 7 步（共 8 步）：第 1 部分，共 4 部分" in contact.text
        assert "<title>联系方式与任职 - 申请材料" in contact.text
        assert 'name="email" type="email"' in contact.text and 'type="text" name="work_history-0-school"' not in contact.text
        assert 'href="/apply/step/6"' in contact.text  # back to the notes
        token = csrf_of(contact.text)

        # Page 1 answered: the service names only later pages' fields, so page 2 follows with page 1 carried.
        answered = only(full, *CONTACT)
        first = await client.post("/apply/step/7/contact", data={**answered, "csrf_token": token})
        assert first.headers["location"] == "/apply/step/7/history?show=1"
        history = await follow(client, first, answered, token)
        assert history.status_code == 200
        assert "第 7 步（共 8 步）：第 2 部分，共 4 部分" in history.text and "error-summary" not in history.text
        assert hidden(history.text, "email") == "teacher@example.com"
        assert 'id="work_history-0-school"' in history.text
        assert 'action="/apply/step/7/history"' in history.text
        assert 'value="back"' in history.text  # "返回上一部分" keeps the answers (a button of the form)

        answered |= only(full, "rows", "work_history-")
        second = await client.post("/apply/step/7/history", data={**answered, "csrf_token": token})
        assessments = await follow(client, second, answered, token)
        assert "第 3 部分，共 4 部分" in assessments.text
        assert hidden(assessments.text, "work_history-0-school") == "海淀实验小学"

        answered |= only(full, "assessment-")
        third = await client.post("/apply/step/7/assessments", data={**answered, "csrf_token": token})
        ethics = await follow(client, third, answered, token)
        assert "第 4 部分，共 4 部分" in ethics.text and 'name="continuing_education_hours"' in ethics.text
        assert len(state.saved_steps) == 6  # nothing of step 7 saved while parts are missing

        answered |= only(full, "ethics_assessment", "continuing_education_hours")
        fourth = await client.post("/apply/step/7/ethics", data={**answered, "csrf_token": token})
        assert fourth.status_code == 303 and fourth.headers["location"] == "/apply/step/7/summary"
        saved = state.saved_steps[-1].materials.materials
        assert (saved.email, saved.work_history[0].school, saved.continuing_education_hours) == (
            "teacher@example.com", "海淀实验小学", 360)

        summary = await client.get("/apply/step/7/summary")
        assert "第 7 步（共 8 步）：核对本步填写的内容" in summary.text
        for part in ("contact", "history", "assessments", "ethics"):
            assert f'href="/apply/step/7/{part}?return_to=summary"' in summary.text
        assert "teacher@example.com" in summary.text and "2015年9月1日" in summary.text
        on = await post(client, "/apply/step/7/summary", {})
        assert on.headers["location"] == "/apply/check"
        check = await client.get("/apply/check")
        assert 'href="/apply/step/7/history?return_to=check"' in check.text
        assert 'href="/apply/step/7/summary"' in check.text  # the check page's back link


async def test_r_wiz_7_a_later_page_cannot_be_opened_before_the_step_is_saved(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        for part in ("history", "assessments", "ethics", "summary", "nonsense"):
            response = await client.get(f"/apply/step/7/{part}")
            assert response.headers["location"] == "/apply/step/7/contact", part


async def test_r_wiz_7_errors_are_shown_on_the_page_they_belong_to(state: State) -> None:
    full = materials_form()
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        # Page 1 without the email: refused there, beside the email; later pages' gaps not mentioned.
        refused = await post(client, "/apply/step/7/contact", only(full, *CONTACT) | {"email": ""})
        assert refused.status_code == 400
        assert "<title>错误：联系方式与任职" in refused.text
        assert 'href="#email"' in refused.text and 'id="email-error"' in refused.text
        assert "请填写工作单位" not in refused.text and "请选择师德考核结果" not in refused.text
        assert 'value="海淀实验小学"' in refused.text  # what was typed stays

        # Page 2 with a row lacking its school: refused on page 2, the link to the row's field.
        body = only(full, *CONTACT, "rows", "work_history-") | {"work_history-0-school": ""}
        history = await post(client, "/apply/step/7/history", body, page="/apply/step/7/contact")
        assert history.status_code == 400 and "第 2 部分，共 4 部分" in history.text
        assert 'href="#work_history-0-school"' in history.text and 'id="work_history-0-school-error"' in history.text
        assert "请填写电子邮箱" not in history.text

        # Page 4 with hours that are no number: refused there, in words a person can act on.
        body = full | {"continuing_education_hours": "三百"}
        ethics = await post(client, "/apply/step/7/ethics", body, page="/apply/step/7/contact")
        assert ethics.status_code == 400 and "第 4 部分，共 4 部分" in ethics.text
        assert 'href="#continuing_education_hours"' in ethics.text
        assert 'value="三百"' in ethics.text
        # Page 3 with one year not chosen: the select of that year.
        year = f"assessment-{datetime.now(ZoneInfo('Asia/Shanghai')).year - 1}"
        body = full | {year: ""}
        assessments = await post(client, "/apply/step/7/assessments", body, page="/apply/step/7/contact")
        assert assessments.status_code == 400 and f'href="#{year}"' in assessments.text
    assert len(state.saved_steps) == 6


async def test_r_wiz_7_adding_a_row_puts_the_focus_in_it_and_saves_nothing(state: State) -> None:
    full = materials_form()
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        body = only(full, *CONTACT, "rows", "work_history-") | {"action": "add_row"}
        added = await post(client, "/apply/step/7/history", body, page="/apply/step/7/contact")
        assert added.status_code == 200 and 'name="work_history-1-school"' in added.text
        assert re.search(r'id="work_history-1-start-year"[^>]*autofocus', added.text)
        assert len(re.findall(r"\bautofocus\b", added.text)) == 1
        assert 'value="海淀实验小学"' in added.text and hidden(added.text, "email") == "teacher@example.com"
        body = only(full, *CONTACT, "rows", "work_history-") | {"rows": "2", "action": "remove_row_1"}
        removed = await post(client, "/apply/step/7/history", body, page="/apply/step/7/contact")
        assert 'name="work_history-1-school"' not in removed.text
    assert len(state.saved_steps) == 6


async def test_r_wiz_7_back_to_the_previous_part_keeps_the_answers(state: State) -> None:
    full = materials_form()
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        page = await client.get("/apply/step/7/contact")
        token = csrf_of(page.text)
        body = only(full, *CONTACT, "rows", "work_history-") | {"action": "back"}
        back = await client.post("/apply/step/7/history", data={**body, "csrf_token": token})
        assert back.headers["location"] == "/apply/step/7/contact?show=1"
        contact = await follow(client, back, body, token)
        assert 'value="teacher@example.com"' in contact.text and hidden(contact.text, "work_history-0-post") == "数学教师"


async def test_r_wiz_7_once_saved_each_page_saves_its_part_over_the_draft(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        await save_materials(client, materials_form())
        history = await client.get("/apply/step/7/history?return_to=summary")
        assert 'value="海淀实验小学"' in history.text and 'name="return_to" value="summary"' in history.text
        assert 'href="/apply/step/7/summary" class="back-link"' in history.text and 'value="back"' not in history.text
        # A stale hidden email on this page does not overwrite the saved one; only the email page does.
        changed = await post(client, "/apply/step/7/history", {
            "return_to": "summary", "email": "stale@example.com", "rows": "1", "action": "save",
            "work_history-0-start-year": "2016", "work_history-0-start-month": "3", "work_history-0-start-day": "1",
            "work_history-0-school": "海淀第二小学", "work_history-0-post": "语文教师"}, page="/apply/step/7/history")
        assert changed.headers["location"] == "/apply/step/7/summary"
        saved = state.saved_steps[-1].materials.materials
        assert saved.email == "teacher@example.com" and saved.work_history[0].school == "海淀第二小学"
        assert saved.continuing_education_hours == 360 and all(a.result for a in saved.annual_assessments)
        # From the check page's 修改: saved, back to the check page.
        contact = await post(client, "/apply/step/7/contact", {
            "return_to": "check", "email": "new@example.com", "school": "海淀实验小学", "post": "数学教师",
            "employment_start-year": "2015", "employment_start-month": "9", "employment_start-day": "1",
            "action": "save"}, page="/apply/step/7/contact?return_to=check")
        assert contact.headers["location"] == "/apply/check"
        assert state.saved_steps[-1].materials.materials.work_history[0].school == "海淀第二小学"
        # An error while editing stays on its page, and the draft keeps what it had.
        refused = await post(client, "/apply/step/7/contact", {"email": "", "action": "save"},
                             page="/apply/step/7/contact")
        assert refused.status_code == 400 and 'href="#email"' in refused.text
        assert "请填写工作单位" not in refused.text


async def test_r_wiz_7_the_work_history_warning_is_offered_and_an_accepted_one_holds(state: State) -> None:
    recent = materials_form() | {"work_history-0-start-year": "2025"}
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        warned = await post(client, "/apply/step/7/ethics", recent, page="/apply/step/7/contact")
        assert "工作经历应覆盖近五年" in warned.text and "仍然继续" in warned.text, warned.text.split("<main")[1][:3000]
        token = csrf_of(warned.text)
        back = await client.post("/apply/step/7/ethics", data={
            **recent, "decision": "back", "warning_code": "R-WIZ-7-HISTORY", "csrf_token": token})
        history = await follow(client, back, {**recent, "decision": "back"}, token)
        assert "第 2 部分，共 4 部分" in history.text and 'value="2025"' in history.text
        onward = await client.post("/apply/step/7/history", data={
            **recent, "decision": "continue", "warning_code": "R-WIZ-7-HISTORY", "csrf_token": token})
        assert onward.status_code == 303, onward.text[:2000]
        # Another page saved later keeps the accepted warning without asking again.
        again = await post(client, "/apply/step/7/ethics", {"ethics_assessment": "合格",
                                                            "continuing_education_hours": "400", "action": "save"},
                           page="/apply/step/7/ethics")
        assert again.headers["location"] == "/apply/step/7/summary"
        assert "R-WIZ-7-HISTORY" in state.saved_steps[-1].override_warnings

        # The same warning met at submission: "返回修改" leads to the history page, back to the check page.
        del state.drafts["acc-a"].overridden_warnings[:]
        check = await client.get("/apply/check")
        back = await client.post("/apply/submit", data={"decision": "back", "warning_code": "R-WIZ-7-HISTORY",
                                                        "csrf_token": csrf_of(check.text)})
        assert back.headers["location"] == "/apply/step/7/history?return_to=check"


async def test_r_wiz_7_pages_speak_english_when_chosen(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        client.cookies.set("lang", "en")
        page = await client.get("/apply/step/7/contact")
    assert "Step 7 of 8: part 1 of 4" in page.text and "Contact and current post" in page.text
