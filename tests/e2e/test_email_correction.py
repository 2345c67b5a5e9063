"""R-APP-7 end to end, on the system `make run` starts: the applicant registered a wrong email; the
point's staff correct it on the application; from then on the password reset code goes to the new
address (through the bus, the notification service and its loopback SMTP sink), and the previous
address got a notice naming who corrected it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.e2e.api_client import ApiClient
from tests.e2e.demo import (
    PASSWORD,
    apply_through_api,
    demo_staff,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
    staff_api_sign_in,
)

pytestmark = [pytest.mark.slow]


async def _emails_to(var: Path, address: str, subject: str = "", *, count: int = 1, timeout: float = 30):
    """The messages the SMTP sink kept for ``address`` (with ``subject`` in their subject), newest
    first, once ``count`` have arrived."""
    from tqr_notification.channels.outbox_files import read_outbox
    from tqr_notification.domain.outbox_view import entry_of

    deadline = time.monotonic() + timeout
    found = []
    while time.monotonic() < deadline:
        found = [e for e in map(entry_of, read_outbox(var / "outbox", limit=1000))
                 if e.kind == "email" and address in e.recipients and subject in e.subject]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"{count} email(s) to {address} expected, {len(found)} arrived")


async def test_r_app_7_point_staff_correct_the_email_and_the_reset_code_goes_to_the_new_address(
        running_system) -> None:
    url, var = running_system.url, running_system.var
    holder = new_registry_holder(var)
    async with ApiClient(url, source_address=own_address()) as applicant:
        await register_and_verify(applicant, var, holder, new_mobile())
        old = (await applicant.request("GET", "/api/v1/account/me")).json()["email"]
        submitted = await apply_through_api(applicant, holder)
    new = f"corrected.{holder.document_number[-6:].lower()}@example.cn"

    async with ApiClient(url, source_address=own_address()) as point:
        await staff_api_sign_in(point, demo_staff(var)["point11010801"])
        corrected = await point.request("POST", f"/api/v1/staff/applications/{submitted['application_id']}/email",
                                        json={"email": new, "reason": "申请人到场核对，注册时邮箱填错"})
        assert corrected.status_code == 200, corrected.text
        assert corrected.json()["email"] == new  # the printed copy follows the account
        bad = await point.request("POST", f"/api/v1/staff/applications/{submitted['application_id']}/email",
                                  json={"email": "not an address", "reason": ""})
        assert bad.status_code == 422 and bad.json()["code"] == "R-APP-7"
        assert {e["field"] for e in bad.json()["errors"]} == {"email", "reason"}

    [told_old] = await _emails_to(var, old, "更正")
    assert "由工作人员更正" in told_old.subject and "确认点" in told_old.text and "当前密码" not in told_old.text
    [told_new] = await _emails_to(var, new, "更正")
    assert "更正为本邮箱" in told_new.subject and "确认点" in told_new.text

    async with ApiClient(url, source_address=own_address()) as anyone:
        sent = await anyone.request("POST", "/api/v1/account/password-resets", json={
            "document_type": "ID_CARD", "document_number": holder.document_number, "channel": "EMAIL",
            "pass_token": await anyone.human_pass()})
        assert sent.status_code == 200, sent.text
        [code_mail] = await _emails_to(var, new, "验证码")
        assert code_mail.code
        reset = await anyone.request("POST", "/api/v1/account/password-resets/confirm", json={
            "document_type": "ID_CARD", "document_number": holder.document_number, "channel": "EMAIL",
            "code": code_mail.code, "password": PASSWORD + "x", "password_confirm": PASSWORD + "x"})
        assert reset.status_code == 200, reset.text
    await _emails_to(var, new, "密码已更改")  # the notice of the new password, to the new address as well
    assert not [e for e in await _emails_to(var, old) if "验证码" in e.subject]  # no code went to the wrong one
