"""The privacy notice (PIPL) and the accessibility statement (issue 19 item 22): in both languages,
saying what the services actually do, and linked from every page's footer."""

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tqr_gateway.web.shell import install_web_shell
from tqr_identity.config import IdentitySettings

TEMPLATES = Path(__file__).parents[2] / "src/tqr_gateway/web/templates"
HEADINGS = {
    "/privacy": ("个人信息保护说明", "Privacy notice"),
    "/accessibility": ("无障碍声明", "Accessibility statement"),
}


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_web_shell(app, secret_key="test-secret-0123456789abcdef")
    return TestClient(app, base_url="https://testserver")


def h1_of(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, "page has no h1"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def main_text(html: str) -> str:
    main = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert main
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.group(1)))


@pytest.mark.parametrize("path", list(HEADINGS))
def test_each_statement_answers_in_chinese_first_and_in_english_after_switching(client: TestClient, path: str) -> None:
    zh = client.get(path)
    assert zh.status_code == 200
    assert h1_of(zh.text) == HEADINGS[path][0]
    client.get("/lang/en", params={"next": path})
    en = client.get(path)
    assert h1_of(en.text) == HEADINGS[path][1]
    assert not re.search(r"[\u4e00-\u9fff]", main_text(en.text)), "Chinese text in the English statement"


def test_the_privacy_notice_covers_what_pipl_asks_for(client: TestClient) -> None:
    text = main_text(client.get("/privacy").text)
    collected = ("姓名", "证件号码", "手机号码", "电子邮箱", "证件照片", "教师资格证书信息")
    purposes_and_recipients = ("为什么收集", "注册机构", "确认点", "身份核验机构")
    rights = ("查阅", "更正", "删除", "撤回同意", "法律允许的范围内")
    protection = ("加密保存", "部分遮盖", "1101**********002X")
    for phrase in collected + purposes_and_recipients + rights + protection + ("保存多久", "联系我们"):
        assert phrase in text, phrase
    assert 'href="/account/support"' in client.get("/privacy").text


def test_the_privacy_notice_states_the_lifetimes_identity_uses() -> None:
    """The periods the notice gives are identity's own defaults, in both languages."""
    settings = IdentitySettings.model_construct()
    zh = (TEMPLATES / "legal/zh/privacy.html").read_text(encoding="utf-8")
    en = (TEMPLATES / "legal/en/privacy.html").read_text(encoding="utf-8")
    assert f"{settings.session_idle_minutes} 分钟" in zh and f"{settings.session_idle_minutes} minutes" in en
    assert f"{settings.session_absolute_hours} 小时" in zh and f"{settings.session_absolute_hours} hours" in en
    assert f"{settings.code_validity_seconds // 60} 分钟内有效" in zh
    assert f"valid for {settings.code_validity_seconds // 60} minutes" in en
    assert f"{settings.login_known_client_days} 天" in zh and f"{settings.login_known_client_days} days" in en
    assert f"{settings.support_anon_answer_working_days} 个工作日" in zh
    assert f"{settings.support_anon_answer_working_days} working days" in en


@pytest.mark.parametrize("path", ["/", "/help/guide", "/privacy", "/accessibility"])
def test_every_page_footer_links_both_statements(client: TestClient, path: str) -> None:
    footer = re.search(r"<footer.*?</footer>", client.get(path).text, re.S)
    assert footer
    assert 'href="/privacy"' in footer.group(0) and 'href="/accessibility"' in footer.group(0)


def test_every_full_page_template_has_the_site_footer() -> None:
    """Pages of every area (account, wizard, portal, staff) extend the one layout with the footer."""
    layouts = {"base.html", "account/_layout.html", "wizard/layout.html", "staff/layout.html"}
    for template in TEMPLATES.rglob("*.html"):
        name = template.relative_to(TEMPLATES).as_posix()
        source = template.read_text(encoding="utf-8")
        if name == "base.html" or "{% block content %}" not in source:
            continue  # components, macros and included bodies
        extends = re.search(r'{% extends "([^"]+)" %}', source)
        assert extends and extends.group(1) in layouts, name
