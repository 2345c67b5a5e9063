"""Trust boundaries at the gateway, over fakes of its clients (the staff console's on a real gRPC
server, staff_wire_fakes, so what is asserted is what reached the service):

- R-WIZ-11: every number a person types reaches the services in its canonical form
  (``servicekit.text.normalise_number``), from each entry point — wizard step 3 (page and API), the
  edit after submission (page and API), the staff search box and lists (page and API), registration,
  sign-in and password reset (pages and API);
- R-WIZ-10: a certificate number on record for another holder is refused beside the field, and the
  staff console lists and marks the numbers claimed by two applicants;
- free text with NUL or bidi overrides is a 422 naming the field (the services' guard, which the
  fakes apply as every service's server does), never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tqr.application.v1 import views_pb2 as views

from services.gateway.tests.unit import account_fakes
from services.gateway.tests.unit.staff_fakes import APP_NUMBER, CONFLICT_APP_ID, DOCUMENT, Console
from services.gateway.tests.unit.staff_wire_fakes import console
from services.gateway.tests.unit.wizard_fakes import SOMEONE_ELSES_NUMBER, State, csrf_of, gateway, sign_in

pytestmark = pytest.mark.redis
CERTIFICATE = "12345678901234567"


def full_width(typed: str) -> str:
    """What a Chinese input method types: ``１２３`` for ``123``."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in typed)


async def post(client: httpx.AsyncClient, path: str, data: dict[str, object]) -> httpx.Response:
    html = (await client.get(path)).text
    return await client.post(path, data={**data, "csrf_token": csrf_of(html)})


async def api(client: httpx.AsyncClient, method: str, path: str, **kwargs: object) -> httpx.Response:
    token = csrf_of((await client.get("/help/faq")).text)
    return await client.request(method, path, headers={"X-CSRF-Token": token}, **kwargs)  # type: ignore[arg-type]


async def to_step_3(client: httpx.AsyncClient) -> None:
    for n, data in ((1, {}), (2, {"accept": "yes"})):
        assert (await post(client, f"/apply/step/{n}", data)).status_code == 303


def editable(state: State) -> None:
    state.applications["app-9"] = ("acc-a", views.ApplicationView(
        application_id="app-9", application_number="2026110108000009", applicant_id="acc-a",
        certificate=views.CertificateData(certificate_number=CERTIFICATE, holder_name="欧阳倩"),
        editable_groups=["CERTIFICATE", "CONTACT", "MATERIALS"], version=2,
        status=views.StatusView(status="SUBMITTED", label_zh="信息提交成功，等待现场确认")))


# --- the wizard and the edit after submission --------------------------------------------------------


async def test_r_wiz_11_step_3_page_and_api_send_the_canonical_number() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await to_step_3(client)
        saved = await post(client, "/apply/step/3", {"certificate_number": f" {full_width(CERTIFICATE[:9])} "
                                                                           f"{CERTIFICATE[9:]}"})
        assert saved.status_code == 303, saved.text[:1000]  # 17 digits: no R-WIZ-3 warning
        answer = await api(client, "PUT", "/api/v1/applications/draft/steps/certificate-lookup",
                           json={"certificate_number": full_width(CERTIFICATE)})
    assert answer.status_code == 200, answer.text
    sent = [s.certificate_lookup.certificate_number for s in state.saved_steps if s.HasField("certificate_lookup")]
    assert sent == [CERTIFICATE, CERTIFICATE]
    assert answer.json()["draft"]["certificate"]["certificate_number"] == CERTIFICATE


async def test_r_wiz_10_someone_elses_number_is_refused_beside_the_field_with_what_to_do() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await to_step_3(client)
        page = await post(client, "/apply/step/3", {"certificate_number": full_width(SOMEONE_ELSES_NUMBER)})
        answer = await api(client, "PUT", "/api/v1/applications/draft/steps/certificate-lookup",
                           json={"certificate_number": SOMEONE_ELSES_NUMBER, "override_warnings": ["R-WIZ-10"]})
    assert page.status_code == 400 and 'id="certificate_number-error"' in page.text
    assert "联系您的注册机构" in page.text and "warning-block" not in page.text  # no "continue anyway"
    assert answer.status_code == 409 and answer.json()["code"] == "R-WIZ-10"


async def test_r_wiz_11_the_edit_after_submission_sends_the_canonical_number() -> None:
    state = State()
    editable(state)
    async with gateway(state) as client:
        sign_in(client)
        form = {"certificate_number": full_width(CERTIFICATE).lower(), "holder_name": "欧阳倩",
                "certificate_type_code": "PRIMARY_CERT", "subject_code": "MATH", "issuing_body": "广州市教育局",
                "issue_date-year": "2000", "issue_date-month": "9", "issue_date-day": "1", "version": "2"}
        page = await post(client, "/portal/applications/app-9/edit/certificate", form)
        answer = await api(client, "PUT", "/api/v1/applications/app-9/certificate", json={
            "certificate_number": f"1234 5678-{full_width('901234567')}", "holder_name": "欧阳倩",
            "expected_version": 2})
    assert page.status_code == 303 and answer.status_code == 200, (page.text[:500], answer.text)
    assert [e.certificate.certificate_number for e in state.edits] == [CERTIFICATE, CERTIFICATE]


# --- free text ---------------------------------------------------------------------------------------


async def test_free_text_with_nul_or_bidi_override_is_422_naming_the_field_and_nothing_is_saved() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await client.get("/api/v1/applications/draft")
        saved_before = len(state.saved_steps)
        answer = await api(client, "PUT", "/api/v1/applications/draft/steps/materials", json={"materials": {
            "school": "海淀\u0000实验小学", "work_history": [{"start": "2015-09-01", "school": "海淀实验小学",
                                                          "post": "教\u202e师"}]}})
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"]: e for e in answer.json()["errors"]}
    assert set(fields) == {"materials.school", "materials.work_history[0].post"}
    assert "U+0000" in fields["materials.school"]["message_zh"]
    assert "U+202E" in fields["materials.work_history[0].post"]["message_en"]
    assert len(state.saved_steps) == saved_before


async def test_free_text_refused_on_a_page_is_shown_beside_the_field() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await to_step_3(client)
        assert (await post(client, "/apply/step/3", {"certificate_number": CERTIFICATE})).status_code == 303
        page = await post(client, "/apply/step/4", {
            "holder_name": "欧阳\u2066倩", "authority_code": "110108", "action": "save"})
    assert page.status_code == 400 and 'id="holder_name-error"' in page.text and "U+2066" in page.text


# --- the staff console -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def staff() -> Iterator[Console]:
    with console() as running:
        yield running


@pytest.fixture
def as_point(staff: Console) -> Console:
    staff.sign_in("tok-point")
    staff.calls.clear()
    return staff


@pytest.mark.parametrize("typed", [full_width(APP_NUMBER), f"{APP_NUMBER[:4]} {full_width(APP_NUMBER[4:10])}-"
                                   f"{APP_NUMBER[10:]}", full_width(DOCUMENT.lower())])
def test_r_wiz_11_staff_search_box_finds_numbers_typed_full_width(as_point: Console, typed: str) -> None:
    page = as_point.post("/staff/find", {"query": typed})
    answer = as_point.post_json("/api/v1/staff/find", {"query": typed})
    assert page.status_code == 303 and answer.status_code == 200 and len(answer.json()["applications"]) == 1
    assert {r.query for r, _ in as_point.calls.of("FindApplication")} <= {APP_NUMBER, DOCUMENT}


def test_r_wiz_11_staff_list_number_filter_is_sent_canonical(as_point: Console) -> None:
    as_point.client.get(f"/staff/applications?number={full_width(APP_NUMBER)}")
    as_point.post_json("/api/v1/staff/applications/search", {"application_number": full_width(APP_NUMBER)})
    assert [r.application_number for r, _ in as_point.calls.of("SearchApplications")] == [APP_NUMBER, APP_NUMBER]


def test_r_wiz_10_the_console_lists_and_marks_certificate_conflicts(as_point: Console) -> None:
    home = as_point.client.get("/staff")
    assert "/staff/applications?conflicts=1" in home.text and "证书号码另有人申报" in home.text
    listed = as_point.client.get("/staff/applications?conflicts=1")
    assert 'name="conflicts"' in listed.text and "checked" in listed.text
    assert "证书号码另有人申报" in listed.text and "申请人0" in listed.text and "申请人1" not in listed.text
    answer = as_point.post_json("/api/v1/staff/applications/search", {"certificate_conflicts_only": True})
    assert [a["certificate_claimed_by_another"] for a in answer.json()["applications"]] == [True]
    assert [r.certificate_conflicts_only for r, _ in as_point.calls.of("SearchApplications")] == [True, True]
    case = as_point.client.get(f"/staff/applications/{CONFLICT_APP_ID}")
    assert 'id="certificate-conflict"' in case.text and "证书原件" in case.text
    assert as_point.client.get(f"/api/v1/staff/applications/{CONFLICT_APP_ID}").json()[
        "certificate_claimed_by_another"]
    other = as_point.client.get("/staff/applications/app-1")
    assert 'id="certificate-conflict"' not in other.text


# --- registration, sign-in, password reset -----------------------------------------------------------

NUMBER, MOBILE = "11010519800101002X", "13800000000"


@pytest.fixture
def identity() -> account_fakes.FakeIdentity:
    return account_fakes.FakeIdentity()


@pytest.fixture
def account_client(identity: account_fakes.FakeIdentity) -> Iterator[object]:
    with account_fakes.gateway(identity) as client:
        yield client


def form_post(client, path, data):  # type: ignore[no-untyped-def]
    token = account_fakes.csrf(client)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def test_r_wiz_11_registration_sign_in_and_reset_pages_send_canonical_numbers(account_client, identity) -> None:
    client = account_client
    form_post(client, "/account/register", {"agree": "1"})
    details = form_post(client, "/account/register/details", {
        "document_type": "ID_CARD", "document_number": full_width(NUMBER.lower()), "name": "张老师",
        "mobile": full_width(f"{MOBILE[:3]} {MOBILE[3:7]} {MOBILE[7:]}"), "email": "teacher@example.cn"})
    assert details.headers["location"] == "/account/register/verify-mobile"
    form_post(client, "/account/login", {"document_type": "ID_CARD", "document_number": full_width(NUMBER),
                                         "password": "x", "hc_kind": "slider", "hc_challenge": "slider-1",
                                         "hc_answer": account_fakes.SLIDER_ANSWER})
    form_post(client, "/account/password/forgot", {"document_type": "ID_CARD", "document_number": full_width(NUMBER),
                                                   "channel": "EMAIL", "hc_kind": "slider",
                                                   "hc_challenge": "slider-1", "hc_answer": account_fakes.SLIDER_ANSWER})
    sent = identity.requests("register")[-1]
    assert (sent.document_number, sent.mobile) == (NUMBER, MOBILE)
    assert identity.requests("sign_in")[-1].document_number == NUMBER
    assert identity.requests("request_password_reset")[-1].document_number == NUMBER


def test_r_wiz_11_account_api_sends_canonical_numbers(account_client, identity) -> None:
    client = account_client
    headers = {"X-CSRF-Token": client.get("/api/v1/account/csrf-token").json()["csrf_token"]}
    client.post("/api/v1/account/sessions", headers=headers, json={
        "document_type": "ID_CARD", "document_number": full_width(NUMBER), "password": "x", "pass_token": "p"})
    client.post("/api/v1/account/registrations", headers=headers, json={
        "document_type": "ID_CARD", "document_number": full_width(NUMBER.lower()), "name": "张", "password": "",
        "password_confirm": "", "email": "a@b.cn", "mobile": full_width(MOBILE), "sms_code": "",
        "agreement_version": "2026-01", "agreement_accepted": True})
    assert identity.requests("sign_in")[-1].document_number == NUMBER
    sent = identity.requests("register")[-1]
    assert (sent.document_number, sent.mobile) == (NUMBER, MOBILE)
