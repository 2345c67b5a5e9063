"""Security headers on every response; personal data never cached, static files cached long."""

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from tqr_gateway.security.headers import SWAGGER_UI_CSP
from tqr_gateway.web.shell import install_web_shell

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


@pytest.fixture
def client() -> TestClient:
    app = FastAPI(docs_url="/api/v1/docs")
    install_web_shell(app, secret_key="test-secret-0123456789abcdef")

    @app.get("/api/v1/me")
    async def me() -> JSONResponse:
        # A route that would like to be cached: the middleware must win.
        return JSONResponse({"name": "张三"}, headers={"Cache-Control": "public, max-age=600", "Expires": "x"})

    return TestClient(app, base_url="https://testserver")


def test_pages_carry_every_security_header(client: TestClient) -> None:
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    for directive in ("default-src 'self'", "img-src 'self' data:", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    for name, value in EXPECTED.items():
        assert response.headers[name] == value
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_personal_data_is_never_cached_even_if_a_route_asks(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.headers["cache-control"] == "no-store"
    assert "expires" not in response.headers
    assert response.headers.get_list("cache-control") == ["no-store"]


def test_static_files_are_cached_for_a_year(client: TestClient) -> None:
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_error_answers_carry_the_headers_too(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["cache-control"] == "no-store"
    assert "content-security-policy" in response.headers


def test_api_docs_get_their_own_policy(client: TestClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.headers["content-security-policy"] == SWAGGER_UI_CSP


def test_hsts_only_when_asked() -> None:
    assert "strict-transport-security" not in TestClient(_app(hsts=False)).get("/").headers
    assert "max-age=31536000" in TestClient(_app(hsts=True)).get("/").headers["strict-transport-security"]


def _app(hsts: bool) -> FastAPI:
    app = FastAPI()
    install_web_shell(app, secret_key="test-secret-0123456789abcdef", hsts=hsts)
    return app
