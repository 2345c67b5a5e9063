"""Shared, browser-free helpers of the end-to-end tests: the demo accounts the identity seed writes,
new people from the demo registry, codes from the development outbox, and an applicant who
registers, verifies and applies through the JSON API (tests/e2e/api_client.py)."""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
from tqr_application.domain.reference import RegistryCertificate
from tqr_application.reference_data import demo_batch

from tests.e2e.api_client import ApiClient

PASSWORD = "Teach#2026new"
HAIDIAN, HAIDIAN_POINT = "110108", "11010801"  # open plan; the demo point staff serve this point
CHAOYANG, CHAOYANG_POINT = "110105", "11010501"  # another open plan of another authority
BEIJING = "110000"  # province code of certificates issued in Beijing
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643
# The account journey draws its new people from the first 200 registry holders; ours come after,
# and one person is never handed to two tests of a run.
_FIRST_FREE_HOLDER = 200
_TAKEN: set[str] = set()


@dataclass(frozen=True)
class StaffAccount:
    username: str
    password: str
    totp_secret: str


def demo_staff(var: Path) -> dict[str, StaffAccount]:
    """Staff accounts from the identity seed's demo-accounts.txt (username, password, TOTP secret)."""
    text = (var / "demo-accounts.txt").read_text(encoding="utf-8")
    staff_part = text[text.index("工作人员"):]
    password = re.search(r"password:\s*(\S+?);", staff_part).group(1)
    found = re.findall(r"^\s+(\S+)\s+[A-Z_]+\s+org\s+\S+\s+TOTP secret\s+([A-Z2-7]+)", staff_part, re.M)
    return {name: StaffAccount(name, password, secret) for name, secret in found}


def totp_candidates(secret: str) -> list[str]:
    """The code of this 30-second step and of the next one (both inside the service's window).

    The service refuses a step it has already accepted for the account (replay protection), and
    other tests sign the same demo staff in; the next step's code is still fresh then."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    return [totp.at(now), totp.at(now + 30)]


def new_registry_holder(var: Path) -> RegistryCertificate:
    """A registry certificate (mainland ID card, issued in Beijing like the authorities we apply to,
    so no province warning) whose holder has no account yet: not a demo account, not one the
    account journey may register, not one another test here took."""
    demo_accounts = (var / "demo-accounts.txt").read_text(encoding="utf-8")
    certificates = demo_batch().registry_certificates
    early = {c.document_number for c in certificates[:_FIRST_FREE_HOLDER]}
    free = [c for c in certificates[_FIRST_FREE_HOLDER:]
            if c.document_type == "ID_CARD" and c.province_code == BEIJING and c.document_number not in demo_accounts
            and c.document_number not in early and c.document_number not in _TAKEN
            and sum(1 for o in certificates if o.document_number == c.document_number) == 1]
    chosen = random.choice(free)
    _TAKEN.add(chosen.document_number)
    return chosen


def new_id_number(birth: str, region: str = HAIDIAN) -> str:
    """A mainland ID number with a correct GB 11643 check character, born on ``birth`` (YYYYMMDD);
    nobody the simulated identity authority knows."""
    first = f"{region}{birth}{uuid.uuid4().int % 900 + 100:03d}"
    total = sum(int(d) * w for d, w in zip(first, ID_WEIGHTS, strict=True))
    return first + "10X98765432"[total % 11]


def own_address() -> str:
    """A loopback address for one new person's client: registering several people from 127.0.0.1
    would trip the per-client code limits that protect the system (R-ID-6)."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"


def new_mobile() -> str:
    return f"136{random.randrange(10**8):08d}"


async def code_sent_to(var: Path, mobile: str, timeout: float = 30) -> str:
    """The newest code sent to ``mobile``, from the development outbox file (it travels the bus), read
    as notification's DevOutboxService reads it for the outbox page."""
    from tqr_notification.channels.outbox_files import read_outbox
    from tqr_notification.domain.outbox_view import entry_of

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in map(entry_of, read_outbox(var / "outbox", limit=500)):
            if entry.kind == "sms" and entry.recipients == (mobile,) and entry.code:
                return entry.code
        await asyncio.sleep(0.5)
    raise AssertionError("no code arrived in the development outbox")


async def register(api: ApiClient, var: Path, document_number: str, name: str, mobile: str) -> None:
    """Through the API as the pages do it: text check, SMS code, registration (then signed in)."""
    sent = await api.request("POST", "/api/v1/account/verification-codes",
                             json={"pass_token": await api.human_pass(), "mobile": mobile, "channel": "SMS"})
    assert sent.status_code == 200, sent.text
    options = (await api.request("GET", "/api/v1/account/registration-options")).json()
    registered = await api.request("POST", "/api/v1/account/registrations", json={
        "document_type": "ID_CARD", "document_number": document_number, "name": name,
        "password": PASSWORD, "password_confirm": PASSWORD, "email": f"t{uuid.uuid4().hex[:8]}@example.cn",
        "mobile": mobile, "sms_code": await code_sent_to(var, mobile),
        "agreement_version": options["agreement_version"], "agreement_accepted": True})
    assert registered.status_code == 201 and registered.json()["signed_in"], registered.text


async def register_and_verify(api: ApiClient, var: Path, holder: RegistryCertificate, mobile: str) -> None:
    """A registry holder registers through the API and passes real-name verification (R-ID-9)."""
    await register(api, var, holder.document_number, holder.holder_name, mobile)
    verified = await api.request("POST", "/api/v1/account/real-name", json={})
    assert verified.status_code == 200 and verified.json()["verified"], verified.text


def materials(email: str) -> dict[str, Any]:
    this_year = date.today().year
    return {"email": email, "school": "海淀实验小学", "post": "数学教师", "employment_start": "2012-09-01",
            "work_history": [{"start": "2012-09-01", "end": "", "school": "海淀实验小学", "post": "数学教师"}],
            "annual_assessments": [{"year": y, "result": "合格"} for y in range(this_year - 5, this_year)],
            "ethics_assessment": "合格", "continuing_education_hours": 400}


async def apply_through_api(api: ApiClient, holder: RegistryCertificate, authority: str = HAIDIAN,
                            point: str = HAIDIAN_POINT) -> dict[str, Any]:
    """Every wizard step through /api/v1/applications/draft, then submit; the submit result."""
    put = await draft_to_materials(api, holder, authority, point)
    await put("materials", {"materials": materials(f"t{uuid.uuid4().hex[:8]}@example.cn")})
    submitted = await api.request("POST", f"{DRAFT}/submit", json={}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert submitted.status_code == 201, submitted.text
    return dict(submitted.json())


DRAFT = "/api/v1/applications/draft"


async def draft_to_materials(api: ApiClient, holder: RegistryCertificate, authority: str = HAIDIAN,
                             point: str = HAIDIAN_POINT) -> Any:
    """Wizard steps 1 to 6 through the API: the draft waits at step 7 (申请材料). The function that
    saves one more step (``put(step, body)``)."""
    draft = DRAFT

    async def put(step: str, body: dict[str, Any]) -> dict[str, Any]:
        for _ in range(10):
            reply = await api.request("PUT", f"{draft}/steps/{step}", json=body)
            if reply.status_code == 200:
                return dict(reply.json())
            if step == "must-read" and reply.status_code in (409, 422):  # R-WIZ-1: 3 s not yet over
                await asyncio.sleep(0.5)
                continue
            break
        raise AssertionError(f"{step}: {reply.status_code} {reply.text}")

    started = await api.request("GET", draft)
    assert started.status_code == 200, started.text
    await asyncio.sleep(3.1)
    await put("must-read", {})
    await put("terms", {"accept": True})
    found = await put("certificate-lookup", {"certificate_number": holder.certificate_number})
    assert found["draft"]["certificate"]["locked"], "the registry should have matched (R-WIZ-3)"
    await put("certificate-details", {"authority_code": authority, "teaching_stage_code": "PRIMARY",
                                      "teaching_subject_code": "MATH"})
    await put("point", {"point_code": point})
    await put("notes", {"read": True})
    return put


async def staff_api_sign_in(api: ApiClient, account: StaffAccount) -> None:
    """As ``browser.staff_sign_in``: a fresh 30-second step when both codes were used already."""
    for attempt in range(3):
        if attempt:
            await asyncio.sleep(30 - time.time() % 30 + 0.5)
        for code in totp_candidates(account.totp_secret):
            reply = await api.request("POST", "/api/v1/account/staff-sessions", json={
                "username": account.username, "password": account.password, "totp_code": code})
            if reply.status_code == 201:
                return
    raise AssertionError(f"{account.username} could not sign in: {reply.status_code} {reply.text}")


async def add_staff(var: Path, username: str, role: str, organisation_code: str) -> StaffAccount:
    """A staff account written straight into the running system's identity database with the
    identity service's own repository and hasher (as its seed does); its sign-in details."""
    from servicekit import db
    from tqr_identity.bootstrap import build_context
    from tqr_identity.config import IdentitySettings
    from tqr_identity.security.totp import new_secret
    from tqr_identity.seed import DEMO_STAFF_PASSWORD
    from tqr_identity.service_layer.model import StaffAccount as StaffRecord

    settings = IdentitySettings(database_url=f"sqlite:///{var / 'data' / 'identity.sqlite3'}")
    engine = db.create_engine(settings.database_url)
    ctx = build_context(settings, engine)
    secret = new_secret()
    try:
        password_hash = await ctx.hasher.hash_async(DEMO_STAFF_PASSWORD)
        async with ctx.transaction() as session:
            await ctx.staff.add(session, StaffRecord(str(uuid.uuid4()), username, f"{organisation_code} 测试工作人员",
                                                     password_hash, secret, (role,), organisation_code, True), ctx.now())
    finally:
        ctx.hasher.close()
        await engine.dispose()
    return StaffAccount(username, DEMO_STAFF_PASSWORD, secret)
