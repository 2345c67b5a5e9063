"""The staff JSON API: the same rules as the pages, problem documents for every refusal.

The services are replaced through ``app.dependency_overrides`` (``tqr_gateway.deps``) with plain
fakes: no gRPC server, and the role gates and the gateway's own checks still run for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import grpc
import pytest
from fastapi.testclient import TestClient
from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import errors
from servicekit.rpc.actor import ACTOR_METADATA_KEY, DEV_GATEWAY_SIGNING_KEYS, ActorSigner
from servicekit.rpc.errors import PROBLEM_METADATA_KEY, status_of, to_problem
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wizard
from tqr.common.v1.actor_pb2 import Actor
from tqr.documents.v1 import documents_pb2 as docs
from tqr.identity.v1 import identity_pb2 as id_pb
from tqr_gateway import deps, vocabulary
from tqr_gateway.app import create_app
from tqr_gateway.clients.staff_documents import ExportedFile, FormCodeCheck
from tqr_gateway.clients.staff_identity import CasePhoto
from tqr_gateway.clients.workflow_rules import WorkflowRules
from tqr_gateway.config import GatewaySettings
from tqr_gateway.session import SessionInfo

from services.gateway.tests.unit.staff_fakes import (
    APP_ID,
    APP_NUMBER,
    BOOKED_APP_ID,
    GOOD_CODE,
    PNG,
    STAFF,
    application_view,
    staff_view,
)
from services.gateway.tests.unit.workflow_fakes import served_rules

# The routes sign the staff member's actor as the gateway does (the development key).
GATEWAY_SIGNER = ActorSigner.from_setting(DEV_GATEWAY_SIGNING_KEYS)


def refused(error: errors.ServiceError) -> grpc.aio.AioRpcError:
    """A service's refusal as it arrives over gRPC: the status plus the Problem in the trailers."""
    trailers = grpc.aio.Metadata((PROBLEM_METADATA_KEY, to_problem(error).SerializeToString()))
    return grpc.aio.AioRpcError(status_of(error), grpc.aio.Metadata(), trailers, details=error.message_en)


def actor(metadata: Any) -> Actor:
    """The caller the gateway named in the call's metadata."""
    found = Actor()
    found.ParseFromString(dict(metadata)[ACTOR_METADATA_KEY])
    return found


class Calls(list[tuple[str, Any]]):
    def of(self, method: str) -> list[Any]:
        return [args for name, args in self if name == method]


class FakeApplications:
    """The application service as the staff API sees it; only admin and point staff of 110108 in scope."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def _check(self, metadata: Any) -> None:
        if actor(metadata).organisation_code not in ("110108", "11010801"):
            raise refused(errors.PermissionDenied("R-STAFF-4", "这份申请不属于您的单位，不能办理",
                                                  "This application is not in your organisation"))

    async def find(self, query: str, *, metadata: Any) -> list[views.ApplicationSummary]:
        self.calls.append(("find", query))
        return [views.ApplicationSummary(application_id=APP_ID, application_number=APP_NUMBER)] \
            if query == APP_NUMBER else []

    async def get(self, application_id: str, *, metadata: Any) -> views.ApplicationView:
        self._check(metadata)
        return staff_view(application_id, actor(metadata)) if application_id == BOOKED_APP_ID else application_view()

    async def reveal_document_number(self, application_id: str, *, metadata: Any) -> str:
        self._check(metadata)
        if actor(metadata).role != vocabulary.POINT_STAFF:
            raise refused(errors.PermissionDenied("R-STAFF-2", "只有确认点工作人员可以查看完整证件号码",
                                                  "Only a point's staff see the document number in full"))
        self.calls.append(("reveal", application_id))
        return "11010519491231002X"

    async def eligibility(self, application_id: str, *, metadata: Any) -> wizard.EligibilityReport:
        self._check(metadata)
        return wizard.EligibilityReport(eligible=False, likely_outcome="DEFERRED", findings=[
            wizard.EligibilityFinding(code="ELIG-HOURS", blocking=False, message_zh="学时不足", message_en="Too few hours",
                                      outcome="DEFERRED")])

    async def act(self, application_id: str, action: str, **kwargs: Any) -> views.ApplicationView:
        self.calls.append(("act", (action, kwargs)))
        return application_view("REGISTERED")

    async def list_plans(self, *, metadata: Any) -> list[views.Plan]:
        return []

    async def create_plan(self, authority_code: str, plan: Any, *, metadata: Any) -> views.Plan:
        self.calls.append(("create_plan", (authority_code, plan, actor(metadata))))
        return views.Plan(plan_id="plan-2", authority_code=authority_code, name=plan.name)


# R-APP-8: the documents service's answers about the applicant's downloads, by application.
DOWNLOADS = {
    APP_ID: docs.GetPrintoutStatusResponse(current_revision=4, last_applicant_revision=2,
                                           last_applicant_download_at=Timestamp(seconds=1_773_108_000)),
    BOOKED_APP_ID: docs.GetPrintoutStatusResponse(current_revision=1),
}
DOCUMENTS_AWAY_APP_ID = "app-documents-away"


class FakeDocuments:
    asked: ClassVar[list[str]] = []

    async def printout_status(self, application_id: str, *, metadata: Any) -> docs.GetPrintoutStatusResponse | None:
        self.asked.append(application_id)
        return DOWNLOADS.get(application_id)  # None: the documents service did not answer

    async def verify_form_code(self, code: str, *, metadata: Any) -> FormCodeCheck:
        return FormCodeCheck(True, APP_NUMBER, APP_ID, False) if code == GOOD_CODE else FormCodeCheck(False)

    async def export_point_applicants(self, point_code: str, *, metadata: Any) -> ExportedFile:
        return ExportedFile("application/octet-stream", f"point-{point_code}.xlsx", "", b"PK")


class FakeIdentity:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def manual_reviews(self, **kwargs: Any) -> tuple[list[id_pb.ManualReviewCase], int]:
        return [id_pb.ManualReviewCase(case_id="case-1", photo_ids=["photo-1"])], 1

    async def decide_manual_review(self, case_id: str, decision: str, reason: str, **kwargs: Any) -> Any:
        self.calls.append(("decide_manual_review", (case_id, decision, reason)))
        return id_pb.ManualReviewCase(case_id=case_id, status=vocabulary.review_status(decision))

    async def decide_support_request(self, request_id: str, decision: str, reason: str, **kwargs: Any) -> Any:
        return id_pb.SupportRequest(request_id=request_id, status=vocabulary.review_status(decision))

    async def case_photo(self, photo_id: str, **kwargs: Any) -> CasePhoto:
        return CasePhoto("image/png", PNG)


class Api:
    def __init__(self, client: TestClient, calls: Calls) -> None:
        self.client, self.calls, self.signed_in = client, calls, "tok-point"
        self.rules = WorkflowRules.of(served_rules())  # the application service's answer

    def sign_in(self, token: str) -> None:
        self.signed_in = token

    def post_json(self, path: str, body: Any) -> Any:
        self.client.get("/livez")  # every answer sets the CSRF cookie, which a write must echo
        return self.client.post(path, json=body, headers={"X-CSRF-Token": self.client.cookies["__Host-csrf"]})


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    calls = Calls()
    app = create_app(GatewaySettings(redis_url="redis://127.0.0.1:6379/15"))
    with TestClient(app, base_url="https://testserver") as client:
        running = Api(client, calls)

        async def signed_in_staff() -> SessionInfo:
            role, org = STAFF[running.signed_in]
            return SessionInfo(running.signed_in, f"s-{running.signed_in}", "staff", (vocabulary.role(role),), org, role, "", "",
                               signer=GATEWAY_SIGNER)

        app.dependency_overrides.update({
            deps.signed_in_staff: signed_in_staff,
            deps.staff_application_client: lambda: FakeApplications(calls),
            deps.staff_documents_client: FakeDocuments,
            deps.staff_identity_client: lambda: FakeIdentity(calls),
            deps.workflow_rules: lambda: running.rules,
        })
        yield running


def test_r_staff_2_find_by_form_code_over_the_api(api: Api) -> None:
    api.sign_in("tok-point")
    answer = api.post_json("/api/v1/staff/find", {"query": GOOD_CODE})
    assert answer.status_code == 200
    body = answer.json()
    assert body["kind"] == "FORM_CODE" and body["stale_printout"] is True
    assert [a["application_number"] for a in body["applications"]] == [APP_NUMBER]


def test_r_staff_2_altered_code_is_a_problem_document(api: Api) -> None:
    api.sign_in("tok-point")
    answer = api.post_json("/api/v1/staff/find", {"query": GOOD_CODE + "x"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "R-STAFF-2" and problem["errors"][0]["field"] == "query"


def test_the_eligibility_report_reaches_staff_field_for_field(api: Api) -> None:
    api.sign_in("tok-admin")
    answer = api.client.get(f"/api/v1/staff/applications/{APP_ID}/eligibility")
    assert answer.status_code == 200
    assert answer.json() == {"eligible": False, "likely_outcome": "DEFERRED", "findings": [
        {"code": "ELIG-HOURS", "blocking": False, "message_zh": "学时不足", "message_en": "Too few hours",
         "outcome": "DEFERRED"}]}


def test_r_app_2_api_refuses_an_adverse_result_without_a_reason(api: Api) -> None:
    api.sign_in("tok-admin")
    api.calls.clear()
    answer = api.post_json(f"/api/v1/staff/applications/{APP_ID}/actions", {"action": "REJECT", "reason": ""})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "reason"
    assert not api.calls.of("act")  # refused before the service was asked
    ok = api.post_json(f"/api/v1/staff/applications/{APP_ID}/actions",
                       {"action": "APPROVE_REGISTERED", "reason": "材料齐全", "expected_version": 3})
    assert ok.status_code == 200 and ok.json()["status"] == "REGISTERED"


def test_r_staff_4_api_role_and_scope_refusals_are_problem_documents(api: Api) -> None:
    api.sign_in("tok-point")
    plans = api.client.get("/api/v1/staff/plans")
    assert plans.status_code == 403 and plans.json()["code"] == "STAFF_ROLE"
    api.sign_in("tok-reviewer")
    assert api.client.get(f"/api/v1/staff/applications/{APP_ID}").json()["code"] == "STAFF_ROLE"
    api.sign_in("tok-other-admin")
    other = api.client.get(f"/api/v1/staff/applications/{APP_ID}")
    assert other.status_code == 403 and other.json()["code"] == "R-STAFF-4"


def test_r_plan_1_plan_times_without_an_offset_are_beijing_time(api: Api) -> None:
    api.sign_in("tok-admin")
    api.calls.clear()
    answer = api.post_json("/api/v1/staff/plans", {
        "name": "2026年定期注册", "online_start": "2026-03-01T08:30:00", "online_end": "2026-03-31T17:30:00+08:00",
        "points": [{"point_code": "11010801", "confirm_start": "2026-03-05T08:30", "confirm_end": "2026-03-20T17:30"}]})
    assert answer.status_code == 201
    (authority, plan, caller), = api.calls.of("create_plan")
    assert authority == "110108" and caller.organisation_code == "110108"
    assert plan.online_start.isoformat() == "2026-03-01T08:30:00+08:00"
    assert plan.points[0].confirm_end.isoformat() == "2026-03-20T17:30:00+08:00"


def test_r_staff_3_reviewer_decisions_and_photos(api: Api) -> None:
    api.sign_in("tok-reviewer")
    queue = api.client.get("/api/v1/staff/manual-reviews").json()
    assert queue["total"] == 1 and queue["cases"][0]["photo_urls"] == ["/api/v1/staff/photos/photo-1"]
    refused = api.post_json("/api/v1/staff/manual-reviews/case-1/decision", {"decision": "REJECTED"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    ok = api.post_json("/api/v1/staff/support-requests/sup-1/decision", {"decision": "APPROVED"})
    assert ok.status_code == 200 and ok.json()["status"] == "APPROVED"
    photo = api.client.get("/api/v1/staff/photos/photo-1")
    assert photo.content == PNG and photo.headers["cache-control"] == "no-store"


def test_r_staff_2_point_staff_see_the_document_number_over_the_api_and_nobody_else(api: Api) -> None:
    api.sign_in("tok-point")
    api.calls.clear()
    answer = api.post_json(f"/api/v1/staff/applications/{APP_ID}/document-number", {})
    assert answer.status_code == 200 and answer.json() == {"document_number": "11010519491231002X"}
    assert answer.headers["cache-control"] == "no-store"
    assert api.calls.of("reveal") == [APP_ID]
    api.sign_in("tok-admin")
    other_role = api.post_json(f"/api/v1/staff/applications/{APP_ID}/document-number", {})
    assert other_role.status_code == 403 and other_role.json()["code"] == "R-STAFF-2"
    assert "11010519491231002X" not in other_role.text


def test_r_slot_2_the_api_shows_the_slot_the_applicant_booked(api: Api) -> None:
    api.sign_in("tok-point")
    booked = api.client.get(f"/api/v1/staff/applications/{BOOKED_APP_ID}").json()
    assert booked["slot"] == {"date": "2036-03-20", "start_time": "09:00", "end_time": "10:00",
                              "needs_rebooking": False}
    assert api.client.get(f"/api/v1/staff/applications/{APP_ID}").json()["slot"] is None


def test_r_app_8_staff_read_over_the_api_which_version_the_applicant_printed(api: Api) -> None:
    api.sign_in("tok-point")
    answer = api.client.get(f"/api/v1/staff/applications/{APP_ID}/printout")
    assert answer.status_code == 200
    assert answer.json() == {"current_version": 4, "last_downloaded_version": 2,
                             "last_downloaded_at": "2026-03-10T02:00:00Z", "out_of_date": True}
    never = api.client.get(f"/api/v1/staff/applications/{BOOKED_APP_ID}/printout").json()
    assert never == {"current_version": 1, "last_downloaded_version": 0, "last_downloaded_at": None,
                     "out_of_date": False}


def test_r_app_8_the_printout_of_another_organisations_application_is_refused_before_documents_are_asked(
        api: Api) -> None:
    api.sign_in("tok-other-admin")
    FakeDocuments.asked.clear()
    answer = api.client.get(f"/api/v1/staff/applications/{APP_ID}/printout")
    assert answer.status_code == 403 and answer.json()["code"] == "R-STAFF-4"
    assert FakeDocuments.asked == []


def test_r_app_8_without_the_documents_service_the_printout_is_unavailable_not_guessed(api: Api) -> None:
    api.sign_in("tok-point")
    answer = api.client.get(f"/api/v1/staff/applications/{DOCUMENTS_AWAY_APP_ID}/printout")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["retry-after"]


def test_openapi_documents_the_staff_api(api: Api) -> None:
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/staff/find", "/api/v1/staff/applications/{application_id}/actions",
                 "/api/v1/staff/applications/{application_id}/document-number",
                 "/api/v1/staff/applications/{application_id}/printout",
                 "/api/v1/staff/plans", "/api/v1/staff/manual-reviews"):
        assert path in paths
    assert "403" in paths["/api/v1/staff/plans"]["get"]["responses"]
