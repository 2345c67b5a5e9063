"""The staff console end to end (R-STAFF-1, R-STAFF-2, R-STAFF-4): the running system, real sign-in
with the demo staff accounts (password + TOTP), Chromium driving the pages.

Setup submits two applications through the application service's gRPC API as demo applicants:
one to 北京市海淀区 (point 11010801) that the point confirms and the authority approves, and one to
北京市朝阳区 that the 海淀 admin must not be able to open. Screenshots of every page visited go to
test-artifacts/screenshots/staff/ at 1280 px.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from playwright.async_api import Page, async_playwright
from testkit.actors import metadata_for
from tqr.application.v1 import views_pb2, wizard_pb2, wizard_pb2_grpc
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_ID_CARD, GENDER_FEMALE, ROLE_APPLICANT

from tests.e2e import grpc_channel
from tests.e2e.browser import Screens, launch
from tests.e2e.browser import staff_sign_in as sign_in
from tests.e2e.demo import demo_staff, new_id_number
from tools.devrun import grpc_port

SCREENS = Screens("staff")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def submit_application(port: int, authority: str, point: str) -> tuple[str, str]:
    """As a fresh real-name-verified applicant, through every wizard step; (id, number)."""
    account = f"e2e-staff-{uuid.uuid4().hex[:10]}"
    document = new_id_number("19880315")
    actor = metadata_for(Actor(subject_id=account, role=ROLE_APPLICANT, display_name="周静"))
    identity = views_pb2.ApplicantIdentity(account_id=account, name="周静", document_type=DOCUMENT_TYPE_ID_CARD,
                                           document_number=document, real_name_verified=True, gender=GENDER_FEMALE,
                                           birth_date="1988-03-15", ethnicity="汉族", mobile_masked="139****0001")
    async with grpc_channel.to(port, "application") as channel:
        wizard = wizard_pb2_grpc.WizardServiceStub(channel)

        async def save(**step: object) -> None:
            await wizard.SaveWizardStep(wizard_pb2.SaveWizardStepRequest(**step), metadata=actor, timeout=20)

        await wizard.StartApplication(wizard_pb2.StartApplicationRequest(identity=identity), metadata=actor,
                                      timeout=20)
        await asyncio.sleep(3.5)  # R-WIZ-1: the must-read page is shown at least 3 s
        await save(must_read=wizard_pb2.MustReadStep())
        await save(terms=wizard_pb2.TermsStep(accept=True))
        await save(certificate_lookup=wizard_pb2.CertificateLookupStep(
            certificate_number=f"2010110{uuid.uuid4().int % 10**10:010d}", document_number=document))
        await save(certificate_details=wizard_pb2.CertificateDetailsStep(
            holder_name="周静", certificate_type_code="PRIMARY", subject_code="MATH", issuing_body="北京市海淀区教育委员会",
            issue_date="2010-07-01", authority_code=authority, teaching_stage_code="PRIMARY",
            teaching_subject_code="MATH", gender=GENDER_FEMALE, birth_date="1988-03-15"))
        await save(point=wizard_pb2.PointStep(point_code=point))
        await save(notes=wizard_pb2.NotesStep(read=True))
        await save(materials=wizard_pb2.MaterialsStep(materials=views_pb2.Materials(
            email="zhoujing@example.cn", school="海淀实验小学", post="教师", employment_start="2010-09-01",
            work_history=[views_pb2.WorkHistoryEntry(start="2010-09-01", end="", school="海淀实验小学", post="教师")],
            annual_assessments=[views_pb2.AnnualAssessment(year=y, result="合格") for y in range(2021, 2026)],
            ethics_assessment="合格", continuing_education_hours=400)))
        done = await wizard.SubmitApplication(wizard_pb2.SubmitApplicationRequest(
            idempotency_key=uuid.uuid4().hex, identity=identity), metadata=actor, timeout=20)
    return done.application_id, done.application_number


async def shot(page: Page, name: str) -> None:
    """Screenshots at 1280 and 375 px, and an axe pass (serious or critical violations kept)."""
    await SCREENS.record(page, name)


async def test_r_staff_2_point_confirms_and_r_staff_1_authority_approves_and_r_staff_4_others_cannot(
        running_system) -> None:
    port = grpc_port("application", offset=running_system.port_offset)
    (app_id, number), (other_id, _) = await asyncio.gather(
        submit_application(port, "110108", "11010801"), submit_application(port, "110105", "11010501"))
    staff = demo_staff(running_system.var)
    url = running_system.url
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            # The point: find by typing the number and Enter (what a USB scanner does), confirm on site.
            point = await browser.new_page(viewport={"width": 1280, "height": 900})
            await sign_in(point, url, staff["point11010801"])
            await shot(point, "point-home")
            await point.fill("#query", number)
            await point.press("#query", "Enter")
            await point.wait_for_url(f"**/staff/applications/{app_id}")
            await shot(point, "point-application")
            await point.goto(f"{url}/staff/applications/{app_id}/actions/MARK_MATERIALS_INCOMPLETE")
            await point.click("main form button[type=submit]")  # nothing chosen: errors beside the fields
            assert await point.locator(".error-summary").count() == 1
            await shot(point, "point-materials-incomplete-errors")
            await point.goto(f"{url}/staff/applications/{app_id}")
            await point.click("a[href$='/actions/CONFIRM_ON_SITE']")
            await shot(point, "point-confirm")
            await point.click("main form button[type=submit]")
            await point.wait_for_url("**?done=CONFIRM_ON_SITE")
            assert "信息已确认，待审批" in await point.inner_text("main")
            await shot(point, "point-confirmed")
            await point.goto(f"{url}/staff/applications")
            await shot(point, "point-list")
            await point.goto(f"{url}/staff/points")
            await shot(point, "point-points")

            # The authority: a decision with a reason the applicant reads.
            admin = await browser.new_page(viewport={"width": 1280, "height": 900})
            await sign_in(admin, url, staff["admin110108"])
            await shot(admin, "admin-home")
            await admin.goto(f"{url}/staff/applications/{app_id}")
            await admin.click("a[href$='/actions/APPROVE_REGISTERED']")
            await admin.fill("#reason", "材料齐全，继续教育学时达标，注册合格。")
            await shot(admin, "admin-approve")
            await admin.click("main form button[type=submit]")
            await admin.wait_for_url("**?done=APPROVE_REGISTERED")
            text = await admin.inner_text("main")
            assert "注册合格" in text and "材料齐全，继续教育学时达标" in text  # status and the reason in history
            await shot(admin, "admin-approved")
            for path, name in (("/staff/applications?status=CONFIRMED", "admin-list"), ("/staff/plans", "admin-plans"),
                               ("/staff/plans/new", "admin-plan-new"), ("/staff/points", "admin-points"),
                               (f"/staff/applications/{app_id}/message", "admin-message"),
                               (f"/staff/applications/{app_id}/email", "admin-email")):
                answer = await admin.goto(url + path)
                assert answer is not None and answer.status == 200, path
                await shot(admin, name)

            # R-STAFF-4: the 海淀 admin cannot open or act on a 朝阳 application; the page says why.
            refused = await admin.goto(f"{url}/staff/applications/{other_id}")
            assert refused is not None and refused.status in (403, 404)
            assert await admin.locator("main h1").count() == 1
            await shot(admin, "admin-other-authority-refused")
            refused_action = await admin.goto(f"{url}/staff/applications/{other_id}/actions/APPROVE_REGISTERED")
            assert refused_action is not None and refused_action.status in (403, 404)

            # A point staff member may not open the plans: a 403 page.
            plans = await point.goto(f"{url}/staff/plans")
            assert plans is not None and plans.status == 403
            await shot(point, "point-plans-refused")

            for username, paths in (("reviewer", ("/staff", "/staff/reviews", "/staff/support")),
                                    ("sysadmin", ("/staff", "/staff/reference"))):
                other = await browser.new_page(viewport={"width": 1280, "height": 900})
                await sign_in(other, url, staff[username])
                for path in paths:
                    answer = await other.goto(url + path)
                    assert answer is not None and answer.status == 200, path
                    await shot(other, f"{username}-{path.strip('/').replace('/', '-')}")
        finally:
            await browser.close()
    assert SCREENS.serious == []
