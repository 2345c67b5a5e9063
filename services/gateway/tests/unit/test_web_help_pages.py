"""The public pages of the web shell: landing page and the four help pages (R-HELP-1), in both languages."""

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tqr_gateway.web.shell import install_web_shell

HELP_HEADINGS = {
    "/help/guide": ("申请须知", "What to know before you apply"),
    "/help/process": ("申请流程", "How the process works"),
    "/help/usage": ("使用帮助", "Using this site"),
    "/help/faq": ("常见问题", "Common questions"),
}
# ../shared beside the checkout holds the old system's manual (the help text must not copy it).
MANUAL = Path(__file__).resolve().parents[4].parent / "shared" / "reference" / "applicant-manual.zh.txt"
HELP_TEMPLATES = Path(__file__).parents[2] / "src/tqr_gateway/web/templates/help"


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_web_shell(app, secret_key="test-secret-0123456789abcdef")
    return TestClient(app, base_url="https://testserver")


def h1_of(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, "page has no h1"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.parametrize("path", list(HELP_HEADINGS))
def test_r_help_1_every_help_page_answers_in_chinese_by_default(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert h1_of(response.text) == HELP_HEADINGS[path][0]
    assert '<html lang="zh-CN">' in response.text
    assert f"<title>{HELP_HEADINGS[path][0]} - 教师资格定期注册网上申报</title>" in response.text


@pytest.mark.parametrize("path", list(HELP_HEADINGS))
def test_r_help_1_every_help_page_answers_in_english_after_switching(client: TestClient, path: str) -> None:
    client.get("/lang/en", params={"next": path})
    response = client.get(path)
    assert response.status_code == 200
    assert h1_of(response.text) == HELP_HEADINGS[path][1]
    assert '<html lang="en">' in response.text
    # No Chinese heading text leaks into the English page's own heading or navigation labels.
    assert ">申请须知<" not in response.text


def test_r_help_1_faq_covers_every_required_question(client: TestClient) -> None:
    zh = client.get("/help/faq").text
    for topic in ("该用户已注册", "登录失败", "收不到短信验证码", "用其他方式获取验证码", "网证", "人工审核",
                  "7 个工作日", "预计完成的日期", "手机号或邮箱不能用了", "手持证件", "浏览器"):
        assert topic in zh, topic
    client.get("/lang/en")
    en = client.get("/help/faq").text
    for topic in ("already registered", "sign-in failed", "SMS code does not arrive", "another way",
                  "network identity", "manual review", "7 working days", "mobile number or email no longer works",
                  "browser"):
        assert topic in en, topic


def test_r_help_1_process_page_explains_every_status(client: TestClient) -> None:
    html = client.get("/help/process").text
    for label in ("信息提交成功，等待现场确认", "经审核材料不全，请向确认机构提交补齐", "信息已确认，待审批",
                  "经审核您选错了注册机构。请更正", "您不属于注册对象", "注册合格", "暂缓注册", "注册不合格"):
        assert label in html, label


def test_r_help_1_guide_lists_what_to_prepare(client: TestClient) -> None:
    html = client.get("/help/guide").text
    for item in ("五年", "教师资格证书", "有效身份证件", "任教经历", "年度考核", "师德考核", "继续教育学时", "网上申报时间",
                 "现场确认时间"):
        assert item in html, item


def test_r_help_1_help_text_is_our_own_not_the_old_manual(client: TestClient) -> None:
    if not MANUAL.exists():
        pytest.skip("reference manual not present")
    manual = re.sub(r"\s+", "", MANUAL.read_text(encoding="utf-8"))
    window = 18
    manual_windows = {manual[i:i + window] for i in range(len(manual) - window)}
    for template in HELP_TEMPLATES.glob("zh/*.html"):
        text = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", template.read_text(encoding="utf-8")))
        copied = [text[i:i + window] for i in range(len(text) - window) if text[i:i + window] in manual_windows]
        assert not copied, f"{template.name} repeats the manual: {copied[:3]}"


def test_unknown_help_topic_is_not_found(client: TestClient) -> None:
    assert client.get("/help/nothing").status_code == 404


def test_landing_page_offers_register_and_login(client: TestClient) -> None:
    html = client.get("/").text
    assert h1_of(html) == "教师资格定期注册网上申报"
    assert re.search(r'<a href="/account/register" role="button"[^>]*>注册账号', html)
    assert re.search(r'<a href="/account/login" role="button"[^>]*>登录', html)
    assert "网上申报时间由各注册机构安排" in html  # the key-dates placeholder


def test_layout_has_landmarks_skip_link_and_language_switch(client: TestClient) -> None:
    html = client.get("/help/usage?x=1").text
    assert '<meta charset="utf-8">' in html
    assert 'name="viewport"' in html
    assert '<a href="#main" class="skip-link">' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html
    assert 'href="/lang/en?next=%2Fhelp%2Fusage%3Fx%3D1"' in html
    assert ">English</a>" in html
    for label in ("首页", "申请须知", "申请流程", "使用帮助", "常见问题", "登录"):
        assert f">{label}</a>" in html


def test_layout_shows_sign_out_when_the_app_marks_an_account(client: TestClient) -> None:
    @client.app.middleware("http")
    async def pretend_signed_in(request, call_next):
        request.scope.setdefault("state", {})["account"] = {"display_name": "张老师"}
        return await call_next(request)

    html = client.get("/").text
    assert "张老师" in html
    assert re.search(r'<form method="post" action="/account/logout"', html)
    assert 'name="csrf_token"' in html
