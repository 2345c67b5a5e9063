"""Small things a first-time applicant trips on (issue 19 item 13), on the pages over fake services:
the document-type hint of the chosen type only, step 3's warning with exactly two choices, a number
box left empty told to be filled in, and the back link inside a landmark."""

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any

import pytest
from tqr.identity.v1 import identity_pb2
from tqr_application.domain.wizard.fields import Problems, whole_number
from tqr_gateway import vocabulary

from services.gateway.tests.unit import account_fakes
from services.gateway.tests.unit.test_wizard_pages import materials_form, post, walk_to
from services.gateway.tests.unit.wizard_fakes import State, gateway, sign_in

pytestmark = pytest.mark.redis
HINTS = {"ID_CARD": "18 位数字，最后一位可能是 X", "TW_PERMIT": "8 位数字", "HKMO_PERMIT": "9 位，首字母 H 或 M"}


class FiveTypesIdentity(account_fakes.FakeIdentity):
    """The fake identity offering several document types, each with its own format hint."""

    async def registration_options(self) -> Any:
        return identity_pb2.GetRegistrationOptionsResponse(
            document_types=[identity_pb2.DocumentTypeOption(code=vocabulary.document_type(code), label_zh=code, label_en=code, format_hint_zh=hint)
                            for code, hint in HINTS.items()],
            agreement_version="2026-01", password_special_characters="#%*-_!@$&")


def select_of(html: str, name: str) -> str:
    found = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    assert found, name
    return found.group(0)


@pytest.mark.parametrize("path", ["/account/login", "/account/password/forgot"])
def test_the_document_type_starts_at_the_id_card_showing_only_its_hint(path: str) -> None:
    with account_fakes.gateway(FiveTypesIdentity()) as client:
        html = client.get(path).text
    select = select_of(html, "document_type")
    assert re.search(r'<option value="ID_CARD" selected>', select)
    assert "<option value=\"\"" not in select  # no "请选择" to pick first
    hint = re.search(r'<div id="document_type-hint" class="hint">(.*?)</div>', html, re.S)
    assert hint and hint.group(1).strip() == HINTS["ID_CARD"]
    data = re.search(r'data-document-hints="([^"]*)"', select)
    assert data and json.loads(html_lib.unescape(data.group(1))) == HINTS  # every type's hint, for the script


def test_a_chosen_document_type_keeps_its_own_hint_after_an_error() -> None:
    with account_fakes.gateway(FiveTypesIdentity()) as client:
        token = account_fakes.csrf(client, "/account/login")
        page = client.post("/account/login", data={"document_type": "TW_PERMIT", "document_number": "",
                                                    "password": "", "csrf_token": token}).text
    assert re.search(r'<option value="TW_PERMIT" selected>', select_of(page, "document_type"))
    hint = re.search(r'<div id="document_type-hint" class="hint">(.*?)</div>', page, re.S)
    assert hint and hint.group(1).strip() == HINTS["TW_PERMIT"]


async def test_step_3_warning_offers_exactly_two_choices() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 3)
        warned = await post(client, "/apply/step/3", {"certificate_number": "1234"})
    form = re.search(r'<form method="post" action="/apply/step/3".*?</form>', warned.text, re.S).group(0)
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", form, re.S)
    assert buttons == ["返回修改", "仍然继续"], buttons


def test_the_service_calls_an_unreadable_number_out_of_range() -> None:
    """Why the page explains the box itself: the form sends -1 for it, and the service's answer is a range."""
    problems = Problems("R-WIZ-7")
    whole_number(problems, {"hours": -1}, "hours", "继续教育学时", "hours", low=0, high=5000)
    assert "应在 0 至 5000 之间" in problems.items[0].message_zh


@pytest.mark.parametrize(("typed", "said"), [("", "请填写五年内继续教育学时"), ("三百六", "请只填数字")])
async def test_an_empty_or_wordy_hours_box_is_told_what_to_do_not_a_range(typed: str, said: str) -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 7)
        refused = await post(client, "/apply/step/7/ethics", materials_form(hours=typed), page="/apply/step/7/contact")
    assert refused.status_code == 400
    beside = re.search(r'id="continuing_education_hours-error"[^>]*>(.*?)</p>', refused.text, re.S).group(1)
    assert said in beside
    summary = re.search(r'<ul class="error-summary__list">.*?</ul>', refused.text, re.S)
    assert summary and said in summary.group(0)


async def test_the_back_link_is_inside_a_navigation_landmark() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 3)
        page = (await client.get("/apply/step/3")).text
    assert re.search(r'<nav class="back-nav" aria-label="返回上一页"><a href="[^"]+" class="back-link">返回</a></nav>', page)
