"""Reference data kept from the console end to end (R-REF-2, R-REF-3): the running system,
Chromium, the demo staff accounts.

The guiding centre (system admin) imports a new subject from a CSV file, sees the preview (nothing
written yet), confirms, then renames that subject from the reference page. The 海淀 authority
admin changes the phone of one of its points (a malformed number is refused beside the field). Every page is checked with axe; screenshots at 1280 and 375 px go to
test-artifacts/screenshots/reference/.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import async_playwright

from tests.e2e.browser import Screens, launch, staff_sign_in
from tests.e2e.demo import demo_staff

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.adds_reference_data]
SCREENS = Screens("reference")
POINT = "11010803"


async def test_r_ref_2_and_3_reference_data_is_kept_from_the_console(running_system, tmp_path) -> None:
    url, var = running_system.url, running_system.var
    staff = demo_staff(var)
    code = f"E2E_{uuid.uuid4().hex[:6].upper()}"
    csv_file = tmp_path / "subjects.csv"
    csv_file.write_text(f"code,name\n{code},书法{code[-3:]}\n", encoding="utf-8")
    phone = f"010-6{uuid.uuid4().int % 10**7:07d}"

    async with async_playwright() as p:
        browser = await launch(p)
        try:
            centre_context = await browser.new_context(viewport={"width": 1280, "height": 900})
            centre = await centre_context.new_page()
            await staff_sign_in(centre, url, staff["sysadmin"])
            await centre.goto(f"{url}/staff/reference/import")
            await SCREENS.record(centre, "1-import-form")
            await centre.set_input_files("#subjects\\.csv", str(csv_file))
            await centre.get_by_role("button", name="预览").click()
            await centre.get_by_role("heading", name="预览：将要新增的内容").wait_for()
            assert code in await centre.locator("main").inner_text()
            await SCREENS.record(centre, "2-import-preview")
            peek = await centre_context.new_page()  # the same signed-in person, in another tab
            await peek.goto(f"{url}/staff/reference")
            assert code not in await peek.locator("main").inner_text()  # nothing written by the preview
            await peek.close()

            await centre.get_by_role("button", name="确认导入").click()
            await centre.get_by_role("heading", name="已导入").wait_for()
            await SCREENS.record(centre, "3-imported")

            await centre.goto(f"{url}/staff/reference")
            await centre.locator(f"a[href='/staff/reference/codes/subjects/{code}']").click()
            await centre.fill("#name", f"硬笔书法{code[-3:]}")
            await SCREENS.record(centre, "4-rename")
            await centre.get_by_role("button", name="保存").click()
            await centre.wait_for_url("**/staff/reference?done=code")
            assert f"硬笔书法{code[-3:]}" in await centre.locator("main").inner_text()
            await SCREENS.record(centre, "5-reference")

            admin = await browser.new_page(viewport={"width": 1280, "height": 900})
            await staff_sign_in(admin, url, staff["admin110108"])
            await admin.goto(f"{url}/staff/points")
            await admin.locator(f"a[href='/staff/points/{POINT}/details']").click()
            await admin.fill("#phone", "电话")
            await admin.get_by_role("button", name="保存").click()
            assert "电话号码格式不对" in await admin.locator(".error-summary").inner_text()
            await SCREENS.record(admin, "6-point-refused")
            await admin.fill("#phone", phone)
            await admin.get_by_role("button", name="保存").click()
            await admin.wait_for_url("**/staff/points?done=details")
            assert phone in await admin.locator(f"section[aria-labelledby='point-{POINT}']").inner_text()
            await SCREENS.record(admin, "7-points-saved")
        finally:
            await browser.close()

    assert SCREENS.serious == []
