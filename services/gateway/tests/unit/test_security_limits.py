"""Request bodies are limited: 1 MiB by default, more on upload paths; too large gets a clear 413."""

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from tqr_gateway.security.limits import MIB, BodySizeLimit
from tqr_gateway.web.shell import install_web_shell


class Seen:
    def __init__(self) -> None:
        self.calls = 0


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def client(seen: Seen) -> TestClient:
    app = FastAPI()
    install_web_shell(app, secret_key="test-secret-0123456789abcdef",
                      upload_limits={"/uploads/": 2 * MIB}, csrf_exempt_prefixes=("/echo", "/uploads/", "/api/"))

    @app.post("/echo")
    @app.post("/uploads/photo")
    @app.post("/api/v1/echo")
    async def echo(request: Request) -> dict[str, int]:
        seen.calls += 1
        return {"received": len(await request.body())}

    return TestClient(app, base_url="https://testserver")


def chunks(total: int, size: int = 64 * 1024):
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"x" * piece


def test_a_body_within_the_default_limit_passes(client: TestClient) -> None:
    response = client.post("/echo", content=b"x" * MIB)
    assert response.status_code == 200 and response.json() == {"received": MIB}


def test_a_declared_body_over_the_limit_is_refused_before_the_route(client: TestClient, seen: Seen) -> None:
    response = client.post("/echo", content=b"x" * (MIB + 1))
    assert response.status_code == 413
    assert "提交的内容太大（上限 1 MB）" in response.text
    assert seen.calls == 0


def test_upload_paths_take_more(client: TestClient, seen: Seen) -> None:
    assert client.post("/uploads/photo", content=b"x" * (MIB + 1)).status_code == 200
    refused = client.post("/uploads/photo", content=b"x" * (2 * MIB + 1))
    assert refused.status_code == 413 and "上限 2 MB" in refused.text
    assert seen.calls == 1


def test_a_chunked_body_is_counted_as_it_arrives(client: TestClient, seen: Seen) -> None:
    ok = client.post("/echo", content=chunks(MIB - 10))
    assert ok.status_code == 200 and ok.json() == {"received": MIB - 10}
    refused = client.post("/echo", content=chunks(3 * MIB))
    assert refused.status_code == 413
    assert seen.calls == 1


def test_programs_get_a_problem_document_in_their_language(client: TestClient) -> None:
    client.get("/lang/en")
    response = client.post("/api/v1/echo", content=b"x" * (MIB + 1), headers={"Accept": "application/json"})
    assert response.status_code == 413
    doc = response.json()
    assert doc["code"] == "BODY_TOO_LARGE" and "limit is 1 MB" in doc["title"]
    assert response.headers["cache-control"] == "no-store"


def test_longest_prefix_wins() -> None:
    limit = BodySizeLimit(FastAPI(), default_limit=10, path_limits={"/a/": 20, "/a/b/": 30})
    assert limit.limit_for("/a/b/c") == 30
    assert limit.limit_for("/a/x") == 20
    assert limit.limit_for("/z") == 10
