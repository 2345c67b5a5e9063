"""Every refusal of the JSON API is a problem document, and the OpenAPI document declares, operation
by operation, the refusals it can give (input FastAPI refuses included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from servicekit.errors import FieldProblem
from tqr_gateway import deps
from tqr_gateway.api.problems import Problem
from tqr_gateway.app import create_app
from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.config import GatewaySettings
from tqr_gateway.security.refusals import Refusal, problem_document
from tqr_gateway.validation import field_name

from services.gateway.tests.unit import account_fakes as fakes

COOKIE = "__Host-session"
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def fake() -> fakes.FakeIdentity:
    return fakes.FakeIdentity()


@pytest.fixture
def client(fake: fakes.FakeIdentity) -> Iterator[Any]:
    with fakes.gateway(fake) as client:
        yield client


def csrf(client: Any) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/account/csrf-token").json()["csrf_token"]}


# --- answers ---------------------------------------------------------------------------------------


@pytest.mark.redis
def test_input_that_does_not_fit_is_a_problem_document_per_field_and_nothing_runs(client, fake) -> None:
    answer = client.post("/api/v1/account/sessions", json={"document_type": "ID_CARD", "password": 5},
                         headers=csrf(client))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    doc = Problem.model_validate(answer.json())
    assert doc.code == "INVALID_INPUT" and doc.title == "提交的信息有误，请按提示修改" and doc.request_id
    by_field = {e.field: e for e in doc.errors or []}
    assert by_field["document_number"].code == "MISSING" and by_field["document_number"].message == "此项必填"
    assert by_field["password"].message_en == "Input should be a valid string"
    assert all("input" not in e for e in answer.json()["errors"])  # never echoed back: it may be a password
    assert fake.requests("sign_in") == []


@pytest.mark.redis
def test_the_problem_speaks_the_language_the_person_chose_and_carries_both(client) -> None:
    client.get("/lang/en")
    doc = client.post("/api/v1/account/sessions", json={}, headers=csrf(client)).json()
    assert doc["title"] == "Some answers need correcting" and doc["message_zh"] == "提交的信息有误，请按提示修改"
    assert {e["message"] for e in doc["errors"]} == {"Field required"}
    assert {e["message_zh"] for e in doc["errors"]} == {"此项必填"}


@pytest.mark.redis
@pytest.mark.parametrize("body", [b'{"document_type": ', b"\xff\xfe\x00garbage"])
def test_a_body_that_cannot_be_read_is_400_malformed_body(client, fake, body: bytes) -> None:
    answer = client.post("/api/v1/account/sessions", content=body,
                         headers={**csrf(client), "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    doc = Problem.model_validate(answer.json())
    assert doc.code == "MALFORMED_BODY" and doc.title.startswith("提交的内容无法读取")
    assert fake.requests("sign_in") == []


@pytest.mark.redis
def test_query_parameters_are_named_as_sent(client, fake) -> None:
    client.cookies.set(COOKIE, fake.sign_in_applicant())
    answer = client.get("/api/v1/inbox/messages", params={"unread_only": "perhaps"})
    assert answer.status_code == 422
    (problem,) = answer.json()["errors"]
    assert problem["field"] == "unread_only" and problem["code"] == "BOOL_PARSING"
    assert problem["message"] == "请填写 true 或 false"


@pytest.mark.redis
def test_a_number_too_large_for_the_service_is_input_to_correct_not_a_fault(client, fake) -> None:
    client.cookies.set(COOKIE, fake.sign_in_applicant())
    answer = client.post("/api/v1/applications/app-1/withdraw", json={"expected_version": 2**31},
                         headers=csrf(client))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "expected_version"


@pytest.mark.redis
def test_an_unknown_api_address_is_a_problem_document_in_both_languages(client) -> None:
    answer = client.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    doc = answer.json()
    assert doc["code"] == "NOT_FOUND" and doc["title"] == "您要找的页面或内容不存在。"


def test_field_names_are_the_ones_the_services_use() -> None:
    assert field_name(("body", "materials", "work_history", 0, "start")) == "materials.work_history[0].start"
    assert field_name(("query", "page_size")) == "page_size"
    assert field_name(("body",)) == "body"


def test_the_documents_the_gateway_writes_have_the_declared_shape() -> None:
    refusal = Refusal(429, "R-ID-6", "请稍后再试", "Try again later", retry_after=45)
    doc = problem_document(refusal, "en", [FieldProblem("mobile", "R-ID-6", "手机号码", "The mobile")])
    assert set(doc) <= set(Problem.model_fields)
    parsed = Problem.model_validate(doc)
    assert parsed.title == "Try again later" and parsed.retry_after == 45
    assert parsed.errors is not None and parsed.errors[0].message == "The mobile"


# --- the OpenAPI document ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(GatewaySettings(environment="test")).openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def statuses(document: dict[str, Any], method: str, path: str) -> set[str]:
    return set(document["paths"][path][method.lower()]["responses"])


def test_every_declared_refusal_is_a_problem_document(document) -> None:
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                assert answer["content"] == PROBLEM_CONTENT, (method, path, status)
    assert {"Problem", "FieldError"} <= set(document["components"]["schemas"])
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_writes_declare_the_csrf_refusal_and_input_declares_422(document) -> None:
    for method, path, operation in operations(document):
        if method in WRITES:
            assert "403" in operation["responses"], (method, path)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in operation["responses"], (method, path)
        if operation.get("requestBody"):
            assert {"400", "413"} <= set(operation["responses"]), (method, path)


def test_each_operation_declares_what_its_door_and_its_services_answer(document) -> None:
    assert {"400", "403", "413", "422", "429", "401"} <= statuses(document, "POST", "/api/v1/account/sessions")
    me = statuses(document, "GET", "/api/v1/account/me")
    assert "401" in me and not {"400", "413"} & me
    assert {"400", "401", "403", "404", "409", "413", "422", "503", "504"} <= statuses(
        document, "PUT", "/api/v1/applications/draft/steps/terms")
    plans = statuses(document, "GET", "/api/v1/staff/plans")
    assert {"401", "403", "503"} <= plans and "400" not in plans
    assert statuses(document, "GET", "/api/v1/authorities") == {"200", "422", "503", "504"}
    photo = document["paths"]["/api/v1/staff/photos/{photo_id}"]["get"]["responses"]["200"]
    assert set(photo["content"]) == {"image/jpeg", "image/png"}



@pytest.mark.redis
def test_text_that_cannot_be_stored_is_refused_not_a_fault(client, fake) -> None:
    """A lone surrogate passes JSON and pydantic; building the service request fails before any call.

    About the real client's request building, so the real client answers here, over a channel on
    which no service listens: a call sent would be refused as unavailable (503), not as input (422)."""
    real = IdentityClient(client.app.state.channels.identity)

    async def real_client() -> IdentityClient:
        return real

    client.app.dependency_overrides[deps.identity_client] = real_client
    body = b'{"document_type": "ID_CARD", "document_number": "1101\\ud800", "password": "x", "pass_token": "p"}'
    answer = client.post("/api/v1/account/sessions", content=body,
                         headers={**csrf(client), "content-type": "application/json"})
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_INPUT"
    assert fake.requests("sign_in") == []  # nor did the fake answer it


def test_an_absurd_page_link_stays_inside_the_services_field() -> None:
    from tqr_gateway.pages.staff.reviews import _page_number

    assert _page_number("99999999999") < 2**31 and _page_number("2") == 1 and _page_number("x") == 0
