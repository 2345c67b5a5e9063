"""A verified demo applicant walks the wizard in Chromium, submits, and downloads the form (R-WIZ-1..8,
R-APP-5); the first steps by keyboard only; axe on every wizard page; resume on a second device."""

from __future__ import annotations

import asyncio
import io
import random
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect
from pypdf import PdfReader
from testkit.actors import metadata_for
from tqr.application.v1 import wizard_pb2, wizard_pb2_grpc
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_ID_CARD, ROLE_APPLICANT
from tqr.identity.v1 import identity_pb2 as idp
from tqr.identity.v1 import identity_pb2_grpc as id_rpc

from tests.e2e import grpc_channel
from tests.e2e.browser import Screens, Walk, fill_materials_pages, launch, signed_in_context, tab_to
from tools.devrun import grpc_port
from tools.loadtest.journey import answer_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]
AUTHORITY_WITH_OPEN_PLAN = "110108"


def verified_applicant(var: Path) -> tuple[str, str, str]:
    """(document number, registered name, password) of the demo applicant who is already real-name
    verified, as the identity seed lists them."""
    text = (var / "demo-accounts.txt").read_text(encoding="utf-8")
    password = re.search(r"password: (\S+)", text).group(1)
    line = next(line for line in text.splitlines() if "verified" in line and "已实名" in line)
    found = re.search(r"\b(\d{17}[\dX])\s+(\S+)", line)
    return found.group(1), found.group(2), password


async def sign_in(offset: int, document_number: str, password: str) -> idp.SignInResponse:
    """Through the identity service: a text human check answered, then SignIn (as the login page does)."""
    async with grpc_channel.to(grpc_port('identity', offset=offset), "identity") as channel:
        stub = id_rpc.IdentityServiceStub(channel)
        check = await stub.IssueHumanCheck(idp.IssueHumanCheckRequest(kind=idp.HUMAN_CHECK_KIND_TEXT, language="en"))
        passed = await stub.AnswerHumanCheck(idp.AnswerHumanCheckRequest(
            challenge_id=check.challenge_id, answer=answer_of(check.question), kind=idp.HUMAN_CHECK_KIND_TEXT))
        return await stub.SignIn(idp.SignInRequest(document_type=DOCUMENT_TYPE_ID_CARD, document_number=document_number,
                                                   password=password, pass_token=passed.pass_token,
                                                   client_id="127.0.0.1"))


async def discard_draft(offset: int, subject_id: str) -> None:
    md = metadata_for(Actor(subject_id=subject_id, role=ROLE_APPLICANT))
    async with grpc_channel.to(grpc_port('application', offset=offset), "application") as channel:
        await wizard_pb2_grpc.WizardServiceStub(channel).DiscardDraft(wizard_pb2.DiscardDraftRequest(), metadata=md)


async def test_r_wiz_8_applicant_walks_the_wizard_submits_and_downloads_the_pdf(running_system: Any) -> None:
    number, name, password = verified_applicant(running_system.var)
    signed = await sign_in(running_system.port_offset, number, password)
    await discard_draft(running_system.port_offset, signed.subject_id)
    certificate = "2026" + "".join(random.choice("0123456789") for _ in range(13))
    url = running_system.url
    async with async_playwright() as p:
        browser = await launch(p)
        context = await signed_in_context(browser, url, signed.session_token)
        page = await context.new_page()
        walk = Walk(page, Screens("wizard"))

        # Steps 1-3 by keyboard only (Tab / Space / Enter / typing).
        await page.goto(f"{url}/apply")
        assert page.url.endswith("/apply/step/1")
        assert await page.locator("#continue").is_disabled()  # R-WIZ-1: the countdown holds the button
        await walk.record("step1-must-read")
        await expect(page.locator("#continue")).to_be_enabled(timeout=6000)
        await tab_to(page, "#continue")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/apply/step/2")
        await walk.record("step2-terms")
        await tab_to(page, "input[name=accept]")
        await page.keyboard.press("Space")
        await tab_to(page, "button.button--primary")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/apply/step/3")
        await walk.record("step3-certificate-number")
        await tab_to(page, "#certificate_number")
        await page.keyboard.type(certificate)
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/apply/step/4")

        # Another device, same person: lands on the current step.
        other = await signed_in_context(browser, url, signed.session_token)
        other_page = await other.new_page()
        await other_page.goto(f"{url}/apply")
        assert other_page.url.endswith("/apply/step/4")
        await other.close()

        # Step 4: fill in the certificate as printed, choose the authority.
        await walk.record("step4-certificate")
        await page.fill("#holder_name", name)
        await page.check("#gender-2")
        for name, value in (("birth_date", ("1976", "5", "28")), ("issue_date", ("2000", "9", "1"))):
            for part, text in zip(("year", "month", "day"), value, strict=True):
                await page.fill(f"#{name}-{part}", text)
        for select in ("certificate_type_code", "subject_code", "teaching_stage_code", "teaching_subject_code"):
            await page.select_option(f"#{select}", index=1)
        await page.fill("#issuing_body", "广州市教育局")
        await page.select_option("#authority_code", AUTHORITY_WITH_OPEN_PLAN)
        await walk.next()
        assert page.url.endswith("/apply/step/5"), await page.content()

        await walk.record("step5-point")
        await page.locator("input[name=point_code]").first.check()
        await walk.next()
        await walk.record("step6-notes")
        await walk.next("已阅读并下一步")
        assert page.url.endswith("/apply/step/7/contact")

        await walk.record("step7-materials")
        await fill_materials_pages(walk, "ouyang.qian@example.com", "海淀实验小学", "数学教师", "2015-09-01")
        assert page.url.endswith("/apply/check"), await page.content()

        await walk.record("check-answers")
        await page.get_by_role("button", name="提交申请").click()
        await page.wait_for_url(re.compile(r".*/apply/done/.+"))
        await walk.record("step8-done")
        application_number = (await page.locator("#application-number").inner_text()).strip()
        assert application_number

        # R-APP-5: the form from the portal, PDF, containing the application number.
        await page.goto(page.url.replace("/apply/done/", "/portal/applications/"))
        form_url = page.url + "/form?format=pdf"
        for _ in range(30):  # the documents service may learn of a new application a moment later
            probe = await page.request.get(form_url)
            if probe.ok:
                break
            await asyncio.sleep(0.5)
        if not probe.ok:
            Path("/tmp/wizard-e2e-logs.txt").write_text(running_system.logs("gateway") + running_system.logs("documents")
                                                        + running_system.logs("application"))
        assert probe.ok, probe.status
        async with page.expect_download() as info:
            await page.click("#download-form")
        download = await info.value
        data = Path(await download.path()).read_bytes()
        assert data.startswith(b"%PDF")
        text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
        assert application_number in text.replace(" ", "")
        await browser.close()
    assert walk.serious == []
