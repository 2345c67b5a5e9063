"""The wizard's JSON writes answered by ``api.shortcut``: the plain case without FastAPI's
dependency solving, everything else by FastAPI exactly as without the shortcut."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, Request
from prometheus_client import REGISTRY
from starlette.routing import Match
from tqr_gateway import deps
from tqr_gateway.api import application_models as m
from tqr_gateway.api import applications as applications_api
from tqr_gateway.api.shortcut import PLAIN_DEPENDENCIES, NotPlain, OperationShortcut, _Operation
from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings

from services.gateway.tests.unit.wizard_fakes import State, csrf_of, gateway, sign_in

pytestmark = pytest.mark.redis

DRAFT = "/api/v1/applications/draft"
STEPS = [("must-read", {}), ("terms", {"accept": True}),
         ("certificate-lookup", {"certificate_number": "12345678901234567"}),
         ("certificate-details", {"holder_name": "欧阳倩", "authority_code": "110108",
                                  "teaching_stage_code": "PRIMARY", "teaching_subject_code": "MATH"}),
         ("point", {"point_code": "P1"}), ("notes", {}),
         ("materials", {"materials": {"email": "t@example.com", "school": "海淀实验小学", "post": "教师",
                                      "employment_start": "2015-09-01", "ethics_assessment": "合格",
                                      "work_history": [{"start": "2015-09-01", "school": "海淀实验小学",
                                                        "post": "教师"}]}})]


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths whose dependencies FastAPI solved."""
    paths: list[str] = []
    solve = fastapi.routing.solve_dependencies

    async def counted(*args: Any, **kwargs: Any) -> Any:
        if kwargs["request"].url.path.startswith("/api/"):  # not the pages a test asks for a CSRF token
            paths.append(kwargs["request"].url.path)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    yield paths


@pytest.fixture
def handed_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths the shortcut handed on to FastAPI."""
    paths: list[str] = []
    hand_on = OperationShortcut._hand_on

    async def counted(self: OperationShortcut, scope: Any, receive: Any, send: Any) -> None:
        paths.append(scope["path"])
        await hand_on(self, scope, receive, send)

    monkeypatch.setattr(OperationShortcut, "_hand_on", counted)
    yield paths


@pytest.fixture
def without_shortcut(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Call to take the shortcut away for the rest of the test (every request then goes to FastAPI)."""
    yield lambda: monkeypatch.setattr(OperationShortcut, "matches", lambda self, scope: (Match.NONE, {}))


async def _write(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    token = csrf_of((await client.get("/help/faq")).text)
    return await client.request(method, path, headers={"X-CSRF-Token": token, **kwargs.pop("headers", {})}, **kwargs)


async def test_the_wizards_writes_are_answered_without_fastapis_dependency_solving(solved) -> None:
    async with gateway(State()) as client:
        sign_in(client)
        await client.get(DRAFT)
        assert solved == [DRAFT]  # the control: FastAPI answered the draft's read
        answers = [await _write(client, "PUT", f"{DRAFT}/steps/{name}", json=body) for name, body in STEPS]
        back = await _write(client, "POST", f"{DRAFT}/go-back", json={"to_step": 2})
    assert [a.status_code for a in answers] == [200] * len(STEPS), [a.text for a in answers]
    assert answers[-1].json()["draft"]["materials"]["school"] == "海淀实验小学"
    assert back.status_code == 200 and back.json()["draft"]["current_step"] == 2
    assert solved == [DRAFT]


async def test_a_step_the_service_refuses_is_the_same_refusal_through_the_shortcut(solved, without_shortcut) -> None:
    async with gateway(State()) as client:
        sign_in(client)
        await client.get(DRAFT)
        through_shortcut = await _write(client, "PUT", f"{DRAFT}/steps/terms", json={"accept": True})
        without_shortcut()
        through_fastapi = await _write(client, "PUT", f"{DRAFT}/steps/terms", json={"accept": True})
    assert through_shortcut.status_code == 409 and through_shortcut.json()["code"] == "R-WIZ"  # step 1 first
    assert _answer(through_shortcut) == _answer(through_fastapi)
    assert solved == [DRAFT, f"{DRAFT}/steps/terms"]  # the shortcut answered the first


# What the shortcut leaves to FastAPI: (headers, body, signed in).
HANDED_ON = {
    "not signed in": ({"content-type": "application/json"}, b'{"accept": true}', False),
    "no body": ({"content-type": "application/json"}, b"", True),
    "not JSON": ({"content-type": "application/json"}, b'{"accept": tru', True),
    "not UTF-8": ({"content-type": "application/json"}, b'{"accept": "\xff"}', True),
    "not what the model takes": ({"content-type": "application/json"}, b'{"accept": "perhaps"}', True),
    "not an object": ({"content-type": "application/json"}, b"[true]", True),
    "another content type": ({"content-type": "text/plain"}, b'{"accept": true}', True),
    "a JSON type the shortcut does not name": ({"content-type": "application/vnd.tqr+json"}, b'{"accept": true}', True),
    "no content type": ({}, b'{"accept": true}', True),
}


@pytest.mark.parametrize("case", HANDED_ON.values(), ids=HANDED_ON.keys())
async def test_what_the_shortcut_does_not_take_fastapi_answers_as_without_it(case, handed_on, without_shortcut) -> None:
    headers, body, signed_in = case
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await client.get(DRAFT)
        await _write(client, "PUT", f"{DRAFT}/steps/must-read", json={})  # the draft at step 2
        if not signed_in:
            client.cookies.clear()
        with_it = await _write(client, "PUT", f"{DRAFT}/steps/terms", content=body, headers=headers)
        without_shortcut()
        without_it = await _write(client, "PUT", f"{DRAFT}/steps/terms", content=body, headers=headers)
    assert with_it.status_code < 500 and _answer(with_it) == _answer(without_it)
    assert handed_on == [f"{DRAFT}/steps/terms"]  # the first, by the shortcut; the second never reached it


async def test_a_client_gone_before_its_body_arrived_gets_what_fastapi_answers() -> None:
    settings = GatewaySettings(environment="test", secret_key="test-secret-0123456789abcdef-shortcut")
    app = create_app(settings)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT", "scheme": "https",
             "path": f"{DRAFT}/steps/terms", "raw_path": f"{DRAFT}/steps/terms".encode(), "root_path": "",
             "query_string": b"", "headers": [(b"content-type", b"application/json")], "client": ("127.0.0.1", 1),
             "server": ("testserver", 443), "app": app, "state": {}}
    shortcut = app.router.routes[0]
    assert isinstance(shortcut, OperationShortcut)
    handed_on: list[dict[str, Any]] = []

    async def gone() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def router(scope: dict[str, Any], receive: Any, send: Any) -> None:
        handed_on.append(scope)
        with pytest.raises(Exception) as raised:
            await receive()
        assert type(raised.value).__name__ == "ClientDisconnect"  # the very error the shortcut met

    app.router = router  # type: ignore[assignment]  (only what the shortcut hands on to)
    scope.update(shortcut.matches(scope)[1])  # as the router does before handing the request over
    await shortcut.handle(scope, gone, _nowhere)
    assert len(handed_on) == 1 and shortcut.matches(handed_on[0])[0] is Match.NONE  # not taken twice


async def _nowhere(message: Any) -> None:
    raise AssertionError(f"the shortcut answered itself: {message}")


async def test_a_step_answered_by_the_shortcut_is_counted_under_its_route(without_shortcut) -> None:
    labels = {"route": f"{DRAFT}/steps/must-read", "method": "PUT", "status": "200"}

    def counted() -> float:
        return REGISTRY.get_sample_value("tqr_http_requests_total", labels) or 0.0

    async with gateway(State()) as client:
        sign_in(client)
        await client.get(DRAFT)
        before = counted()
        await _write(client, "PUT", f"{DRAFT}/steps/must-read", json={})
        through_shortcut = counted() - before
        without_shortcut()
        await _write(client, "PUT", f"{DRAFT}/steps/must-read", json={})
        through_fastapi = counted() - before - through_shortcut
    assert through_shortcut == through_fastapi == 1


def test_only_operations_of_the_request_a_json_body_and_plain_dependencies_are_taken() -> None:
    routes = {route.endpoint: route for route in applications_api.router.routes}
    with pytest.raises(NotPlain, match="submit"):
        _Operation.of(routes[applications_api.submit], frozenset())  # a header, and the identity client
    with pytest.raises(NotPlain, match="require_applicant"):
        _Operation.of(routes[applications_api.step_terms], frozenset())  # its dependencies not named plain
    with pytest.raises(NotPlain, match="one JSON body"):
        _Operation.of(routes[applications_api.get_draft], frozenset())  # no body


def _answer(response: httpx.Response) -> tuple[int, str, Any]:
    body = response.json() if response.content else None
    if isinstance(body, dict):
        body.pop("request_id", None)
    return response.status_code, response.headers.get("content-type", ""), body


def test_an_operation_whose_answer_fastapi_would_still_shape_is_not_taken() -> None:
    router = APIRouter()

    @router.put("/shaped")
    async def shaped(request: Request, session: deps.Applicant, body: m.TermsIn) -> m.DraftResponse:
        raise AssertionError("never called")

    with pytest.raises(NotPlain, match="must answer a Response"):
        _Operation.of(router.routes[0], PLAIN_DEPENDENCIES)  # type: ignore[arg-type]
