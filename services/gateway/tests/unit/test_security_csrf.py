"""CSRF: a state-changing request without the session's token is refused and changes nothing."""

import re

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from tqr_gateway.security.csrf import CSRF_COOKIE, CsrfSigner
from tqr_gateway.web.shell import install_web_shell

SECRET = "test-secret-0123456789abcdef"


class Counter:
    def __init__(self) -> None:
        self.value = 0


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
def client(counter: Counter) -> TestClient:
    app = FastAPI()
    install_web_shell(app, secret_key=SECRET, csrf_exempt_prefixes=("/hooks/",))

    @app.post("/drafts")
    async def save_draft(request: Request) -> dict[str, object]:
        form = await request.form()
        counter.value += 1
        return {"saved": counter.value, "school": form.get("school"),
                "upload": (await form["photo"].read()).decode() if "photo" in form else None}

    @app.post("/api/v1/drafts")
    async def save_draft_json(request: Request) -> dict[str, object]:
        counter.value += 1
        return {"saved": counter.value, "body": await request.json()}

    @app.post("/hooks/provider")
    async def provider_hook() -> dict[str, bool]:
        counter.value += 1
        return {"ok": True}

    return TestClient(app, base_url="https://testserver")


def token_from_page(client: TestClient) -> str:
    html = client.get("/help/faq").text
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)


def test_a_page_sets_a_strict_host_only_cookie(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    for flag in ("Path=/", "Secure", "HttpOnly", "SameSite=Strict"):
        assert flag in cookie
    assert "Domain" not in cookie


def test_post_without_token_is_refused_and_changes_nothing(client: TestClient, counter: Counter) -> None:
    token_from_page(client)
    response = client.post("/drafts", data={"school": "第一中学"})
    assert response.status_code == 403
    assert "页面已过期或请求来源无法确认" in response.text
    assert '<html lang="zh-CN">' in response.text
    assert counter.value == 0


def test_refusal_speaks_english_to_english_readers(client: TestClient, counter: Counter) -> None:
    client.get("/lang/en")
    response = client.post("/drafts", data={"school": "x"})
    assert response.status_code == 403
    assert "nothing was changed" in response.text


def test_post_with_the_form_field_is_accepted_and_the_route_sees_the_form(client: TestClient, counter: Counter) -> None:
    token = token_from_page(client)
    response = client.post("/drafts", data={"school": "第一中学", "csrf_token": token})
    assert response.status_code == 200
    assert response.json() == {"saved": 1, "school": "第一中学", "upload": None}


def test_multipart_upload_with_the_field_is_accepted_intact(client: TestClient, counter: Counter) -> None:
    token = token_from_page(client)
    response = client.post("/drafts", data={"csrf_token": token, "school": "二中"},
                           files={"photo": ("id.jpg", b"JPEGDATA", "image/jpeg")})
    assert response.status_code == 200
    assert response.json()["upload"] == "JPEGDATA"


def test_scripts_send_the_header(client: TestClient, counter: Counter) -> None:
    token = token_from_page(client)
    refused = client.post("/api/v1/drafts", json={"step": 3})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "CSRF_FAILED"
    accepted = client.post("/api/v1/drafts", json={"step": 3}, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200 and accepted.json() == {"saved": 1, "body": {"step": 3}}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_every_state_changing_method_is_checked(client: TestClient, counter: Counter, method: str) -> None:
    token_from_page(client)
    assert getattr(client, method)("/drafts").status_code == 403


def test_a_wrong_token_is_refused(client: TestClient, counter: Counter) -> None:
    token = token_from_page(client)
    response = client.post("/drafts", data={"csrf_token": token[:-1] + ("0" if token[-1] != "0" else "1")})
    assert response.status_code == 403
    assert counter.value == 0


def test_a_token_the_attacker_minted_without_the_secret_is_refused(client: TestClient, counter: Counter) -> None:
    # Double-submit without a signature would accept any matching pair; a planted cookie must not work.
    genuine = CsrfSigner(SECRET).issue("")
    client.cookies.set(CSRF_COOKIE, genuine, domain="testserver.local")
    assert client.post("/drafts", data={"csrf_token": genuine}).status_code == 200  # the planting works
    forged = CsrfSigner("another-secret-0123456789").issue("")
    client.cookies.set(CSRF_COOKIE, forged, domain="testserver.local")
    response = client.post("/drafts", data={"csrf_token": forged})
    assert response.status_code == 403
    assert counter.value == 1


def test_a_token_from_another_session_is_refused(client: TestClient, counter: Counter) -> None:
    token = token_from_page(client)  # minted while signed out
    client.cookies.set("__Host-session", "a-new-session-id", domain="testserver.local")
    response = client.post("/drafts", data={"csrf_token": token})
    assert response.status_code == 403
    # The next page carries a token for the new session, and that one works.
    fresh = token_from_page(client)
    assert fresh != token
    assert client.post("/drafts", data={"csrf_token": fresh}).status_code == 200


def test_exempt_paths_are_not_checked(client: TestClient, counter: Counter) -> None:
    assert client.post("/hooks/provider").status_code == 200
    assert counter.value == 1


def test_safe_methods_are_not_checked(client: TestClient) -> None:
    assert client.get("/help/faq").status_code == 200
    assert client.head("/").status_code in (200, 405)
