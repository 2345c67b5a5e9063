"""Issue 19 item 7: step 4 offers the certificate's subject as the current teaching subject and
shows each authority's online window (China time) beside it, as the home page promises."""

from __future__ import annotations

import re

import httpx
import pytest
from tqr.application.v1 import views_pb2 as views
from tqr_gateway.web.language import LANG_COOKIE

from services.gateway.tests.unit.wizard_fakes import NO_PLAN_AUTHORITY, State, csrf_of, gateway, sign_in

pytestmark = pytest.mark.redis


@pytest.fixture
def state() -> State:
    return State()


def plan(authority: str, start: int, end: int) -> views.Plan:
    found = views.Plan(plan_id=f"plan-{authority}-{start}", authority_code=authority, name="2036年定期注册")
    found.online_start.FromSeconds(start)
    found.online_end.FromSeconds(end)
    return found


async def to_step_4(client: httpx.AsyncClient) -> None:
    for n, data in ((1, {}), (2, {"accept": "yes"}), (3, {"certificate_number": "12345678901234567"})):
        html = (await client.get(f"/apply/step/{n}")).text
        answered = await client.post(f"/apply/step/{n}", data={**data, "csrf_token": csrf_of(html)})
        assert answered.status_code == 303, answered.text[:1000]


def selected(html: str, name: str) -> str:
    block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert block is not None, name
    chosen = re.search(r'<option value="([^"]*)" selected>', block.group(1))
    return chosen.group(1) if chosen else ""


def option_text(html: str, name: str, value: str) -> str:
    block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert block is not None, name
    found = re.search(rf'<option value="{value}"[^>]*>([^<]*)</option>', block.group(1))
    assert found is not None, value
    return found.group(1)


async def test_the_certificates_subject_is_offered_as_the_teaching_subject(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await to_step_4(client)
        draft = next(iter(state.drafts.values()))
        draft.certificate.subject_code = "MATH"
        page = await client.get("/apply/step/4")
        assert selected(page.text, "teaching_subject_code") == "MATH"
        draft.teaching_subject_code = "NONE"  # the applicant's own choice wins once saved
        assert selected((await client.get("/apply/step/4")).text, "teaching_subject_code") == "NONE"
        draft.teaching_subject_code, draft.certificate.subject_code = "", "CALLIGRAPHY"  # not in the list
        assert selected((await client.get("/apply/step/4")).text, "teaching_subject_code") == ""


async def test_each_authority_shows_its_online_window_in_china_time(state: State) -> None:
    # 2036-03-01 01:00 UTC = 09:00 Beijing; 2036-03-20 09:00 UTC = 17:00 Beijing (still ahead).
    state.current_plans = [plan("110108", 2_087_946_000, 2_089_616_400)]
    async with gateway(state) as client:
        sign_in(client)
        await to_step_4(client)
        page = await client.get("/apply/step/4")
        client.cookies.set(LANG_COOKIE, "en")
        english = await client.get("/apply/step/4")
    assert "网上申报 2036年3月1日 09:00 至 2036年3月20日 17:00" in option_text(page.text, "authority_code", "110108")
    assert "暂无网上申报安排" in option_text(page.text, "authority_code", NO_PLAN_AUTHORITY)
    assert 'id="authority-windows"' in page.text
    assert "2036年3月20日 17:00" in page.text.split('id="authority-windows"')[1]
    assert "online 1 March 2036, 09:00 to 20 March 2036, 17:00" in option_text(english.text, "authority_code", "110108")


async def test_an_ended_online_window_is_said_to_be_over(state: State) -> None:
    # 2026-03-01 .. 2026-03-10 (over by the time this runs), confirmation still listed by the service.
    state.current_plans = [plan("110108", 1_772_326_800, 1_773_133_200)]
    async with gateway(state) as client:
        sign_in(client)
        await to_step_4(client)
        page = await client.get("/apply/step/4")
    assert "网上申报已于 2026年3月10日 17:00 结束" in option_text(page.text, "authority_code", "110108")


async def find(client: httpx.AsyncClient, **chosen: str) -> httpx.Response:
    html = (await client.get("/apply/step/4")).text
    return await client.post("/apply/step/4", data={"action": "filter", "csrf_token": csrf_of(html), **chosen})


async def test_item_18_province_city_county_then_the_covering_authority_is_suggested(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await to_step_4(client)
        first = (await client.get("/apply/step/4")).text
        assert 'name="school_province"' in first and 'name="school_city"' not in first
        assert selected(first, "authority_code") == ""
        province = await find(client, school_province="110000")
        assert option_text(province.text, "school_city", "110100") == "市辖区"
        assert 'name="school_county"' not in province.text and 'id="suggested-authority"' not in province.text
        city = await find(client, school_province="110000", school_city="110100")
        assert option_text(city.text, "school_county", "110108") == "海淀区"
        county = await find(client, school_province="110000", school_city="110100", school_county="110108")
        assert county.status_code == 200 and len(state.saved_steps) == 3  # finding saves nothing
        suggestion = county.text[county.text.index('id="suggested-authority"'):]
        assert "北京市 市辖区 海淀区" in suggestion and "北京市海淀区教育委员会" in suggestion
        assert selected(county.text, "authority_code") == "110108"  # preselected …
        assert option_text(county.text, "authority_code", NO_PLAN_AUTHORITY)  # … and the others stay offered

        # Another authority chosen by the person stays chosen when the place changes.
        kept = await find(client, school_province="110000", school_city="110100", school_county="110106",
                          authority_code="110108", suggested_code="")
        assert selected(kept.text, "authority_code") == "110108"
        # The suggestion itself follows the place while the person has not changed it.
        moved = await find(client, school_province="110000", school_city="110100", school_county="110106",
                           authority_code="110108", suggested_code="110108")
        assert selected(moved.text, "authority_code") == NO_PLAN_AUTHORITY


async def test_item_18_a_search_finds_places_with_their_path_and_a_city_without_counties(state: State) -> None:
    async with gateway(state) as client:
        sign_in(client)
        await to_step_4(client)
        found = await find(client, area_search="海淀")
        assert re.findall(r'name="school_match" type="radio" value="([^"]+)"', found.text) == ["110108"]
        assert state.region_searches == ["海淀"]  # one call, not one per province and city
        assert "北京市 市辖区 海淀区" in found.text
        chosen = await find(client, area_search="海淀", school_match="110108")
        assert selected(chosen.text, "school_county") == "110108" and selected(chosen.text, "authority_code") == "110108"
        assert 'name="school_match"' not in chosen.text  # the search is done
        dongguan = await find(client, area_search="东莞")
        assert re.findall(r'name="school_match" type="radio" value="([^"]+)"', dongguan.text) == ["441900"]
        no_authority = await find(client, area_search="东莞", school_match="441900")
        assert "没有找到负责广东省 东莞市的注册机构" in no_authority.text
        nothing = await find(client, area_search="火星")
        assert "没有找到这个地名" in nothing.text and 'name="school_match"' not in nothing.text
        odd = await find(client, school_province="999999", school_city="110100", school_county="110108")
        assert odd.status_code == 200 and 'id="suggested-authority"' not in odd.text  # nothing made up


async def test_step_4_asks_for_reference_data_once_per_reference_version(state: State) -> None:
    """The page is drawn again at each choice of province, city and county: what it shows besides the
    draft is asked for once per reference version the drafts name (clients/reference_memory.py), again
    when a draft names a newer one, and every time when a draft names none (0)."""
    state.current_plans = [plan("110108", 2_087_946_000, 2_089_616_400)]
    async with gateway(state) as client:
        sign_in(client)
        await to_step_4(client)
        draft = next(iter(state.drafts.values()))
        draft.reference_version = 7
        state.reference_calls.clear()
        await find(client, school_province="110000", school_city="110100", school_county="110108")
        first = sorted(state.reference_calls)
        assert first == ["authorities:", "code_lists", "plans", "regions:", "regions:110000", "regions:110100"]
        state.reference_calls.clear()
        again = await find(client, school_province="110000", school_city="110100", school_county="110108")
        assert state.reference_calls == [] and selected(again.text, "authority_code") == "110108"
        assert "2036年3月20日 17:00" in option_text(again.text, "authority_code", "110108")

        draft.reference_version = 8  # reference data changed: asked again, once
        await client.get("/apply/step/4")
        await client.get("/apply/step/4")
        assert sorted(state.reference_calls) == ["authorities:", "code_lists", "plans", "regions:"]

        draft.reference_version = 0  # not known: asked every time
        state.reference_calls.clear()
        await client.get("/apply/step/4")
        await client.get("/apply/step/4")
        assert state.reference_calls.count("code_lists") == 2
