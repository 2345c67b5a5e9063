"""The language switch: the person's choice sticks, nothing overrides it, and it never redirects off-site."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tqr_gateway.web.language import safe_local_path
from tqr_gateway.web.shell import install_web_shell


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_web_shell(app, secret_key="test-secret-0123456789abcdef")
    return TestClient(app, base_url="https://testserver")


def test_switch_sets_a_year_long_lax_cookie_and_goes_back(client: TestClient) -> None:
    response = client.get("/lang/en", params={"next": "/help/faq?x=1"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/help/faq?x=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lang=en;")
    assert "Max-Age=31536000" in cookie
    assert "Path=/" in cookie
    assert "samesite=lax" in cookie.lower()


def test_choice_sticks_across_pages(client: TestClient) -> None:
    client.get("/lang/en", params={"next": "/"})
    for path in ("/", "/help/guide", "/help/faq"):
        response = client.get(path)
        assert '<html lang="en">' in response.text
        assert response.headers["content-language"] == "en"
    client.get("/lang/zh", params={"next": "/"})
    assert '<html lang="zh-CN">' in client.get("/").text


def test_accept_language_never_overrides_the_chosen_language(client: TestClient) -> None:
    client.get("/lang/en")
    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert '<html lang="en">' in html


def test_without_a_choice_the_page_is_chinese_whatever_the_browser_says(client: TestClient) -> None:
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="zh-CN">' in html


def test_an_unknown_cookie_value_falls_back_to_chinese(client: TestClient) -> None:
    client.cookies.set("lang", "fr")
    assert '<html lang="zh-CN">' in client.get("/").text


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "/\t/evil.example",
    "/ok\r\nSet-Cookie: a=b",
    "",
])
def test_no_open_redirect(client: TestClient, target: str) -> None:
    response = client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_local_paths_are_kept() -> None:
    assert safe_local_path("/wizard/step/3?draft=1#top") == "/wizard/step/3?draft=1#top"
    assert safe_local_path("relative/path") == "/"
    assert safe_local_path(None, fallback="/help/faq") == "/help/faq"


def test_unsupported_language_is_not_found(client: TestClient) -> None:
    assert client.get("/lang/fr", follow_redirects=False).status_code == 404
