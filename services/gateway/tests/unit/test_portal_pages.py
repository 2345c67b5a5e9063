"""The portal and the applications API over fake services (R-APP-1..5, ownership, downloads)."""

from __future__ import annotations

import httpx
import pytest
from tqr.application.v1 import views_pb2 as views

from services.gateway.tests.unit.wizard_fakes import FAKE_PDF, State, csrf_of, gateway, sign_in

pytestmark = pytest.mark.redis


def submitted(state: State, owner: str = "acc-a") -> views.ApplicationView:
    view = views.ApplicationView(
        application_id="app-9", application_number="2026110108000009", applicant_id=owner, applicant_name="欧阳倩",
        authority_name="北京市海淀区教育委员会", authority_address="北京市海淀区四季青路 1 号",
        point=views.PointWindow(point_code="P1", point_name="海淀区第一确认点", address="中关村大街 1 号"),
        status=views.StatusView(status="MATERIALS_INCOMPLETE", label_zh="经审核材料不全，请向确认机构提交补齐",
                                meaning_zh="确认点需要您补交材料", next_step_zh="补齐后交给确认点",
                                missing_materials=["继续教育证明"]),
        history=[views.StatusHistoryEntry(to_status="SUBMITTED", actor_role="APPLICANT"),
                 views.StatusHistoryEntry(to_status="MATERIALS_INCOMPLETE", actor_role="POINT_STAFF",
                                          reason="缺少证明")],
        editable_groups=["CONTACT"], version=3)
    view.history[0].at.FromSeconds(1_770_000_000)
    view.history[1].at.FromSeconds(1_770_100_000)
    view.materials.email = "teacher@example.com"
    state.applications[view.application_id] = (owner, view)
    return view


async def test_r_app_1_r_app_2_detail_shows_status_meaning_core_facts_and_timeline() -> None:
    state = State()
    submitted(state)
    async with gateway(state) as client:
        sign_in(client)
        listing = await client.get("/portal")
        page = await client.get("/portal/applications/app-9")
    assert "2026110108000009" in listing.text and "1 条未读" in listing.text
    assert "经审核材料不全" in page.text and "确认点需要您补交材料" in page.text and "继续教育证明" in page.text
    assert "海淀区第一确认点" in page.text and "中关村大街 1 号" in page.text and "四季青路" in page.text
    assert page.text.index("缺少证明") > 0 and page.text.count("timeline__event") == 2
    assert "/portal/applications/app-9/edit/contact" in page.text
    assert "/edit/materials" not in page.text  # only groups the rules allow get a change link (R-APP-3)


async def test_r_app_6_the_status_page_names_the_edit_deadline_the_service_decided() -> None:
    state = State()
    view = submitted(state)
    view.point.confirm_end.FromSeconds(1_770_500_000)
    view.online_end.FromSeconds(1_770_300_000)
    view.edit_until.FromSeconds(1_770_400_000)  # distinct from both, so the page cannot have taken either
    async with gateway(state) as client:
        sign_in(client)
        page = await client.get("/portal/applications/app-9")
        api = await client.get("/api/v1/applications/app-9")
    assert "网上修改截止" in page.text and "2026年2月7日 01:46" in page.text
    assert api.json()["edit_until"].startswith("2026-02-06T17:46:40")


async def test_r_app_4_messages_and_onsite_notes_are_shown() -> None:
    state = State()
    submitted(state)
    async with gateway(state) as client:
        sign_in(client)
        page = await client.get("/portal/applications/app-9")
    assert "请带上证书原件" in page.text and "请于工作日 9:00 前到达" in page.text


async def test_another_applicants_application_answers_404_on_pages_api_and_download() -> None:
    state = State()
    submitted(state, owner="acc-b")
    async with gateway(state) as client:
        sign_in(client, "token-a")
        page = await client.get("/portal/applications/app-9")
        api = await client.get("/api/v1/applications/app-9")
        form = await client.get("/portal/applications/app-9/form?format=pdf")
    assert page.status_code == api.status_code == form.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_r_app_5_the_form_streams_as_an_attachment_in_the_chosen_format() -> None:
    state = State()
    submitted(state)
    async with gateway(state) as client:
        sign_in(client)
        pdf = await client.get("/portal/applications/app-9/form?format=pdf")
        word = await client.get("/api/v1/applications/app-9/form?format=docx")
    assert pdf.status_code == 200 and pdf.content.startswith(FAKE_PDF) and b"2026110108000009" in pdf.content
    assert pdf.headers["content-type"] == "application/pdf"
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="form-2026110108000009.pdf"') and "filename*=UTF-8''" in disposition
    assert word.headers["content-type"].endswith("wordprocessingml.document")
    assert ".docx" in word.headers["content-disposition"]


async def test_r_app_5_an_unknown_form_format_is_refused_not_answered_with_the_pdf() -> None:
    state = State()
    submitted(state)
    async with gateway(state) as client:
        sign_in(client)
        api = await client.get("/api/v1/applications/app-9/form?format=xyz")
        page = await client.get("/portal/applications/app-9/form?format=xyz")
        word = await client.get("/portal/applications/app-9/form?format=word")
    assert api.status_code == 422 and api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["code"] == "UNKNOWN_FORMAT" and "PDF" in api.json()["message_zh"]
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert FAKE_PDF not in page.content and "不提供该格式的申请表" in page.text
    assert word.status_code == 200 and ".docx" in word.headers["content-disposition"]  # the names links use


async def test_an_applicant_calling_a_staff_api_route_is_forbidden_not_asked_to_sign_in() -> None:
    async with gateway(State()) as client:
        sign_in(client)
        staff_route = await client.get("/api/v1/staff/applications/app-9")
        client.cookies.clear()
        anonymous = await client.get("/api/v1/staff/applications/app-9")
    assert staff_route.status_code == 403 and staff_route.json()["code"] == "ACCOUNT_KIND"
    assert anonymous.status_code == 401


async def test_r_app_3_edit_refusal_is_shown_beside_the_field_and_a_good_edit_returns_to_the_detail() -> None:
    state = State()
    submitted(state)
    async with gateway(state) as client:
        sign_in(client)
        form = await client.get("/portal/applications/app-9/edit/contact")
        token = csrf_of(form.text)
        refused = await client.post("/portal/applications/app-9/edit/contact",
                                    data={"email": "nope", "version": "3", "csrf_token": token})
        saved = await client.post("/portal/applications/app-9/edit/contact",
                                  data={"email": "new@example.com", "version": "3", "csrf_token": token})
    assert refused.status_code == 400 and 'id="email-error"' in refused.text
    assert saved.status_code == 303 and saved.headers["location"] == "/portal/applications/app-9?updated=saved"
    assert state.edits[-1].email == "new@example.com" and state.edits[-1].expected_version == 3


async def test_inbox_lists_messages_and_marks_one_read() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        inbox = await client.get("/portal/inbox")
        marked = await client.post("/portal/inbox/n1/read", data={"csrf_token": csrf_of(inbox.text)})
        after = await client.get("/portal/inbox")
    assert "申请已提交" in inbox.text and "1 条未读" in inbox.text
    assert marked.status_code == 303 and "0 条未读" in after.text


async def test_the_inbox_shows_the_pages_language_and_keeps_paragraphs_and_lines() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        chinese = await client.get("/portal/inbox")
        client.cookies.set("lang", "en")
        english = await client.get("/portal/inbox")
        listed = await client.get("/api/v1/inbox/messages")
    assert "<p>您的申请已提交。<br>报名号：9</p><p>请打印申请表。</p>" in chinese.text
    assert "Application submitted" not in chinese.text
    assert "<p>Your application was submitted.<br>Number: 9</p><p>Print the form.</p>" in english.text
    assert "申请已提交" not in english.text
    assert listed.json()["messages"][0]["title"] == "Application submitted"


async def api(client: httpx.AsyncClient, method: str, path: str, **kwargs: object) -> httpx.Response:
    token = csrf_of((await client.get("/help/faq")).text)
    headers = {"X-CSRF-Token": token, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    return await client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]


async def test_r_wiz_9_api_submit_with_the_same_idempotency_key_makes_one_application() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        draft = await client.get("/api/v1/applications/draft")
        assert draft.status_code == 200 and draft.json()["draft"]["current_step"] == 1
        refused = await api(client, "PUT", "/api/v1/applications/draft/steps/terms", json={"accept": True})
        assert refused.status_code == 409 and refused.json()["code"] == "R-WIZ"  # step 1 first
        for path, body in [("must-read", {}), ("terms", {"accept": True}),
                           ("certificate-lookup", {"certificate_number": "12345678901234567"}),
                           ("certificate-details", {"holder_name": "欧阳倩", "authority_code": "110108",
                                                    "teaching_stage_code": "PRIMARY",
                                                    "teaching_subject_code": "MATH"}),
                           ("point", {"point_code": "P1"}), ("notes", {})]:
            saved = await api(client, "PUT", f"/api/v1/applications/draft/steps/{path}", json=body)
            assert saved.status_code == 200, saved.text
        materials = {"materials": {"email": "t@example.com", "school": "海淀实验小学", "post": "教师",
                                   "employment_start": "2015-09-01", "ethics_assessment": "合格",
                                   "work_history": [{"start": "2015-09-01", "school": "海淀实验小学", "post": "教师"}],
                                   "continuing_education_hours": 400}}
        assert (await api(client, "PUT", "/api/v1/applications/draft/steps/materials", json=materials)).status_code == 200
        missing_key = await api(client, "POST", "/api/v1/applications/draft/submit", json={})
        first = await api(client, "POST", "/api/v1/applications/draft/submit", json={},
                          headers={"Idempotency-Key": "key-12345678"})
        again = await api(client, "POST", "/api/v1/applications/draft/submit", json={},
                          headers={"Idempotency-Key": "key-12345678"})
        listing = await client.get("/api/v1/applications")
    assert missing_key.status_code == 422
    assert first.status_code == again.status_code == 201
    assert first.json()["application_number"] == again.json()["application_number"]
    assert len(listing.json()["applications"]) == 1


async def test_api_field_refusal_is_a_problem_document_with_the_field() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await client.get("/api/v1/applications/draft")
        for path, body in [("must-read", {}), ("terms", {"accept": True})]:
            await api(client, "PUT", f"/api/v1/applications/draft/steps/{path}", json=body)
        refused = await api(client, "PUT", "/api/v1/applications/draft/steps/certificate-lookup",
                            json={"certificate_number": ""})
    assert refused.status_code in (400, 422)
    assert "certificate_number" in refused.text


def test_openapi_names_the_application_models() -> None:
    from tqr_gateway.app import create_app
    from tqr_gateway.config import GatewaySettings

    schema = create_app(GatewaySettings(environment="test")).openapi()
    assert "/api/v1/applications/draft/submit" in schema["paths"]
    assert {"Application", "DraftResponse", "MaterialsIn"} <= set(schema["components"]["schemas"])


async def test_materials_incomplete_the_applicant_says_the_listed_papers_are_ready() -> None:
    """Issue 19 item 19: the list, the button, then the date it was said instead of the button."""
    state = State()
    submitted(state)
    async with gateway(state) as client:
        sign_in(client)
        page = await client.get("/portal/applications/app-9")
        assert "继续教育证明" in page.text and "材料已备齐，告知确认点" in page.text
        done = await client.post("/portal/applications/app-9/materials-ready",
                                 data={"csrf_token": csrf_of(page.text), "version": "3"})
        assert done.status_code == 303 and done.headers["location"] == "/portal/applications/app-9?updated=materials"
        after = await client.get(done.headers["location"])
        assert "已告知确认点您已备齐材料" in after.text and "材料已备齐，告知确认点" not in after.text
        assert "您已于 2026年2月4日" in after.text and "继续教育证明" in after.text
        stale = await client.post("/portal/applications/app-9/materials-ready",
                                  data={"csrf_token": csrf_of(after.text), "version": "3"})
    assert stale.status_code == 400 and "申请刚被修改过" in stale.text and "error-summary" in stale.text


async def test_materials_ready_is_refused_when_nothing_is_missing_and_for_another_person() -> None:
    state = State()
    view = submitted(state)
    view.status.status = "SUBMITTED"
    del view.status.missing_materials[:]
    async with gateway(state) as client:
        sign_in(client)
        page = await client.get("/portal/applications/app-9")
        assert "材料已备齐，告知确认点" not in page.text
        refused = await client.post("/portal/applications/app-9/materials-ready",
                                    data={"csrf_token": csrf_of(page.text), "version": "3"})
        assert refused.status_code == 400 and "只有“材料不全”的申请" in refused.text
    other = State()
    submitted(other, owner="acc-other")
    async with gateway(other) as client:
        sign_in(client)
        page = await client.get("/portal")
        assert (await client.post("/portal/applications/app-9/materials-ready",
                                  data={"csrf_token": csrf_of(page.text)})).status_code == 404


async def test_materials_ready_through_the_api() -> None:
    state = State()
    submitted(state)
    async with gateway(state) as client:
        sign_in(client)
        token = (await client.get("/api/v1/account/csrf-token")).json()["csrf_token"]
        done = await client.post("/api/v1/applications/app-9/materials-ready", json={"expected_version": 3},
                                 headers={"X-CSRF-Token": token})
        assert done.status_code == 200, done.text
        assert done.json()["status"]["materials_resubmitted_at"].startswith("2026-02-04")
        assert done.json()["status"]["missing_materials"] == ["继续教育证明"]
        stale = await client.post("/api/v1/applications/app-9/materials-ready", json={"expected_version": 3},
                                  headers={"X-CSRF-Token": token})
        assert stale.status_code == 409 and stale.json()["message_zh"]
        unknown = await client.post("/api/v1/applications/app-x/materials-ready", json={},
                                    headers={"X-CSRF-Token": token})
        assert unknown.status_code == 404


async def test_the_application_page_asks_for_the_code_lists_once_per_reference_version() -> None:
    """People reload this page to follow their application: the names of its codes come from what
    the gateway remembers at the reference version the application was read at."""
    state = State()
    view = submitted(state)
    view.reference_version = 5
    async with gateway(state) as client:
        sign_in(client)
        for _ in range(3):
            assert (await client.get("/portal/applications/app-9")).status_code == 200
        assert state.reference_calls == ["code_lists"]
        view.reference_version = 6
        await client.get("/portal/applications/app-9")
    assert state.reference_calls == ["code_lists", "code_lists"]


async def test_the_application_page_asks_its_other_calls_together() -> None:
    """After the application itself (someone else's ends the page there), its messages, the code
    names, who looked at it and the printout status are asked at once, not one after another."""
    state = State()
    submitted(state)
    async with gateway(state) as client:
        sign_in(client)
        page = await client.get("/portal/applications/app-9")
    assert page.status_code == 200 and "请带上证书原件" in page.text
    assert state.most_in_flight >= 3  # messages, access and the printout status overlapped
