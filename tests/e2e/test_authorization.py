"""Authorization across people and organisations, against the whole system (`make run`), through
the JSON API and the pages (R-STAFF-4).

Applicant A registers, verifies and submits through the API. Applicant B then asks for every
resource of A that takes an id: each path of the OpenAPI document that names one (so a new
endpoint is covered without touching this test) and each portal/wizard page that does; every
answer is 404, and none carries A's application number. Staff of another authority (and of
another authority's point) are refused on A's application with the service's own message, while
A's point confirms it and A's authority approves it.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from tqr_gateway.pages import portal, wizard

from tests.e2e.api_client import ApiClient
from tests.e2e.demo import (
    CHAOYANG,
    CHAOYANG_POINT,
    add_staff,
    apply_through_api,
    demo_staff,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
    staff_api_sign_in,
)

pytestmark = [pytest.mark.slow]
# Path parameters that name a resource belonging to one applicant, and which of A's ids to use.
APPLICANT_RESOURCES = ("application_id", "message_id")
# Paths with a parameter that is not an applicant's resource: staff paths are refused by role (and
# tested below), a human-check challenge belongs to nobody.
NOT_APPLICANT_RESOURCES = ("/api/v1/staff/", "/api/v1/account/human-checks/")
GENERIC_REFUSAL = "请求未能完成"  # what the gateway says when a service gave no message of its own


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value the schema accepts (required fields only), so the route's handler runs."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: example(properties[name], components) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), components)] * schema.get("minItems", 0)
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    return None


def id_routes(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every API operation whose path names an applicant's resource."""
    found = []
    for path, operations in openapi["paths"].items():
        if "{" not in path or path.startswith(NOT_APPLICANT_RESOURCES):
            continue
        names = re.findall(r"{(\w+)}", path)
        unknown = [n for n in names if n not in APPLICANT_RESOURCES]
        assert not unknown, f"{path}: teach this test which of A's resources {unknown} names"
        found += [(method.upper(), path, op) for method, op in operations.items()]
    return found


def page_routes() -> list[tuple[str, str]]:
    """(method, path) of the applicant's pages (portal, wizard) whose path names a resource."""
    found: list[tuple[str, str]] = []

    def walk(router: Any, prefix: str = "") -> None:
        for route in router.routes:
            inner = getattr(route, "original_router", None)  # an included router (FastAPI >= 0.116)
            if inner is not None:
                walk(inner, prefix + getattr(getattr(route, "include_context", None), "prefix", ""))
                continue
            path = prefix + getattr(route, "path", "")
            if any(f"{{{name}}}" in path for name in APPLICANT_RESOURCES):
                found.extend((method, path) for method in sorted(route.methods or ()) if method != "HEAD")

    walk(portal.router)
    walk(wizard.router)
    return found


def concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: ids.get(m.group(1), "contact"), path)  # {section}: a real section


async def inbox_message_id(api: ApiClient) -> str:
    for _ in range(60):  # the submission notification travels the bus
        found = (await api.request("GET", "/api/v1/inbox/messages")).json()["messages"]
        if found:
            return str(found[0]["message_id"])
        await asyncio.sleep(0.5)
    raise AssertionError("A's inbox stayed empty")


def assert_service_refusal(reply: Any, what: str) -> None:
    """403 or 404 with the refusing service's own code and message (not the gateway's fallback)."""
    assert reply.status_code in (403, 404), f"{what}: {reply.status_code} {reply.text}"
    problem = reply.json()
    assert problem["code"] and problem["message_zh"] and problem["message_zh"] != GENERIC_REFUSAL, (what, problem)


async def test_r_staff_4_applicant_b_gets_404_for_every_resource_of_a_and_other_authorities_cannot_act(
        running_system) -> None:
    url, var = running_system.url, running_system.var
    async with ApiClient(url, source_address=own_address()) as a, \
            ApiClient(url, source_address=own_address()) as b, ApiClient(url) as anonymous:
        holder_a = new_registry_holder(var)
        await asyncio.gather(register_and_verify(a, var, holder_a, new_mobile()),
                             register_and_verify(b, var, new_registry_holder(var), new_mobile()))
        submitted = await apply_through_api(a, holder_a)
        ids = {"application_id": submitted["application_id"], "message_id": await inbox_message_id(a)}
        number = submitted["application_number"]

        # --- the API: every operation that names one of A's resources -----------------------------
        openapi = (await anonymous.request("GET", "/api/v1/openapi.json")).json()
        components = openapi.get("components", {}).get("schemas", {})
        operations = id_routes(openapi)
        assert {p for _, p, _ in operations} >= {"/api/v1/applications/{application_id}",
                                                 "/api/v1/applications/{application_id}/form",
                                                 "/api/v1/inbox/messages/{message_id}/read"}
        for method, path, op in operations:
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            kwargs = {"json": example(body, components)} if body is not None else {}
            reply = await b.request(method, concrete(path, ids), **kwargs)
            assert reply.status_code == 404, f"B {method} {path}: {reply.status_code} {reply.text[:300]}"
            assert number not in reply.text
            if method == "GET":  # the same id is real: A reads it
                mine = await a.request("GET", concrete(path, ids))
                assert mine.status_code == 200, f"A {method} {path}: {mine.status_code}"

        # --- the pages ---------------------------------------------------------------------------
        pages = page_routes()
        assert ("GET", "/portal/applications/{application_id}") in pages
        for method, path in pages:
            target = concrete(path, ids)
            if method == "GET":
                reply = await b.request("GET", target)
            else:  # a form post with the CSRF token in the form, as the page sends it
                token = await b.csrf_token()
                reply = await b.request("POST", target, data={"csrf_token": token, "reason": "x", "email": "b@x.cn",
                                                              "authority_code": CHAOYANG,
                                                              "point_code": CHAOYANG_POINT, "action": "submit"},
                                        headers={"X-CSRF-Token": token})
            assert reply.status_code == 404, f"B {method} {path}: {reply.status_code}"
            assert number not in reply.text

        # A's application is untouched by all of that.
        after = (await a.request("GET", f"/api/v1/applications/{ids['application_id']}")).json()
        assert after["status"]["status"] == "SUBMITTED" and after["version"] == submitted["application"]["version"]

    # --- staff: only A's point and A's authority may act -------------------------------------------
    staff = demo_staff(var)
    suffix = uuid.uuid4().hex[:6]
    other_admin, other_point = await asyncio.gather(
        add_staff(var, f"admin{CHAOYANG}-{suffix}", "AUTHORITY_ADMIN", CHAOYANG),
        add_staff(var, f"point{CHAOYANG_POINT}-{suffix}", "POINT_STAFF", CHAOYANG_POINT))
    app = f"/api/v1/staff/applications/{ids['application_id']}"
    async with ApiClient(url, source_address=own_address()) as outsider_point, \
            ApiClient(url, source_address=own_address()) as outsider_admin, \
            ApiClient(url) as point, ApiClient(url) as admin:
        await asyncio.gather(staff_api_sign_in(outsider_point, other_point),
                             staff_api_sign_in(outsider_admin, other_admin),
                             staff_api_sign_in(point, staff["point11010801"]),
                             staff_api_sign_in(admin, staff["admin110108"]))
        for who, client in (("other point", outsider_point), ("other authority", outsider_admin)):
            assert_service_refusal(await client.request("GET", app), f"{who} reads")
            assert_service_refusal(await client.request("GET", f"{app}/eligibility"), f"{who} eligibility")
            assert_service_refusal(await client.request("POST", f"{app}/messages", json={"body": "你好"}),
                                   f"{who} message")
            found = (await client.request("POST", "/api/v1/staff/find", json={"query": number})).json()
            assert found["applications"] == [], f"{who} finds A's application"
        assert_service_refusal(await outsider_point.request("POST", f"{app}/actions", json={
            "action": "CONFIRM_ON_SITE", "reason": "", "missing_materials": [], "expected_version": 0}),
            "other point confirms")
        assert_service_refusal(await outsider_admin.request("POST", f"{app}/email", json={
            "email": "changed@example.cn", "reason": "测试"}), "other authority corrects the email")

        # The right point confirms; the other authority still cannot decide; the right one does.
        view = (await point.request("GET", app)).json()
        confirmed = await point.request("POST", f"{app}/actions", json={
            "action": "CONFIRM_ON_SITE", "reason": "", "missing_materials": [], "expected_version": view["version"]})
        assert confirmed.status_code == 200, confirmed.text
        version = confirmed.json()["version"]
        assert_service_refusal(await outsider_admin.request("POST", f"{app}/actions", json={
            "action": "APPROVE_REGISTERED", "reason": "不该由我审批", "missing_materials": [],
            "expected_version": version}), "other authority approves")
        approved = await admin.request("POST", f"{app}/actions", json={
            "action": "APPROVE_REGISTERED", "reason": "材料齐全，注册合格。", "missing_materials": [],
            "expected_version": version})
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "REGISTERED"

