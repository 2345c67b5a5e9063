"""The template macros render the accessible patterns of UI.md, in the page's language."""

import re
from datetime import UTC, date, datetime

import pytest
from starlette.requests import Request
from tqr_gateway.web.templating import create_environment, page_context

ENV = create_environment()


def render(source: str, lang: str = "zh", **context: object) -> str:
    return ENV.from_string(source).render(lang=lang, **context)


def request_for(path: str = "/wizard/step/3", state: dict | None = None) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
                    "headers": [(b"host", b"testserver")], "scheme": "https", "server": ("testserver", 443),
                    "state": state or {}})


def test_text_input_ties_hint_and_error_to_the_input() -> None:
    html = render('{% from "components/forms.html" import text_input with context %}'
                  '{{ text_input("mobile", "手机号码", value="138", hint="11 位数字", error="请输入 11 位手机号码", '
                  'inputmode="numeric", autocomplete="tel") }}')
    assert '<label class="label" for="mobile">手机号码</label>' in html
    assert '<div id="mobile-hint" class="hint">11 位数字</div>' in html
    assert 'id="mobile-error"' in html and "请输入 11 位手机号码" in html
    input_tag = re.search(r"<input[^>]*>", html).group(0)
    assert 'aria-describedby="mobile-hint mobile-error"' in input_tag
    assert 'aria-invalid="true"' in input_tag
    assert 'inputmode="numeric"' in input_tag and 'autocomplete="tel"' in input_tag
    assert "form-group--error" in html
    # The label sits above: it comes before the input in the document.
    assert html.index("<label") < html.index("<input")


def test_text_input_without_error_is_not_marked_invalid_and_escapes_values() -> None:
    html = render('{% from "components/forms.html" import text_input with context %}'
                  '{{ text_input("school", "学校", value=v) }}', v='"><script>alert(1)</script>')
    assert "aria-invalid" not in html and "aria-describedby" not in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_error_summary_is_an_alert_linking_to_each_field() -> None:
    errors = [{"field": "mobile", "message": "请输入 11 位手机号码"},
              {"field": "birth-year", "message": "请输入出生年份"}]
    html = render('{% from "components/errors.html" import error_summary with context %}{{ error_summary(errors) }}',
                  errors=errors)
    assert 'role="alert"' in html and 'tabindex="-1"' in html and "data-error-summary" in html
    assert '<a href="#mobile">请输入 11 位手机号码</a>' in html
    assert '<a href="#birth-year">请输入出生年份</a>' in html
    assert "请修改以下问题" in html
    assert render('{% from "components/errors.html" import error_summary with context %}{{ error_summary([]) }}').strip() == ""


def test_page_title_gains_the_error_prefix_when_the_page_has_errors() -> None:
    template = ENV.from_string('{% extends "base.html" %}{% block title %}填写手机号码{% endblock %}')
    with_errors = template.render(page_context(request_for()), errors=[{"field": "m", "message": "x"}])
    assert "<title>错误：填写手机号码 - 教师资格定期注册网上申报</title>" in with_errors
    without = template.render(page_context(request_for()))
    assert "<title>填写手机号码 - 教师资格定期注册网上申报</title>" in without
    english = template.render({**page_context(request_for()), "lang": "en"}, errors=[{"field": "m", "message": "x"}])
    assert "<title>Error: 填写手机号码 - Teacher Qualification Registration</title>" in english


def test_date_input_has_three_labelled_boxes_and_marks_the_wrong_one() -> None:
    html = render('{% from "components/forms.html" import date_input with context %}'
                  '{{ date_input("start", "聘用开始日期", value=d, error="请输入正确的月份", error_part="month") }}',
                  d=date(2021, 9, 1))
    for part, value in (("year", "2021"), ("month", "9"), ("day", "1")):
        tag = re.search(rf'<input[^>]*id="start-{part}"[^>]*>', html).group(0)
        assert f'name="start-{part}"' in tag and f'value="{value}"' in tag and 'inputmode="numeric"' in tag
        assert ('aria-invalid="true"' in tag) == (part == "month")
        assert f'for="start-{part}"' in html
    assert "<legend" in html and "聘用开始日期" in html
    english = render('{% from "components/forms.html" import date_input with context %}{{ date_input("s", "Start") }}',
                     lang="en")
    assert ">Year</label>" in english and ">Day</label>" in english


def test_date_input_accepts_a_mapping_of_what_was_typed() -> None:
    html = render('{% from "components/forms.html" import date_input with context %}'
                  '{{ date_input("b", "出生日期", value={"year": "1980", "month": "", "day": "07"}) }}')
    assert 'id="b-year" name="b-year" type="text" inputmode="numeric" value="1980"' in html
    assert 'id="b-day" name="b-day" type="text" inputmode="numeric" value="07"' in html


def test_radios_select_and_checkbox_keep_the_answer() -> None:
    html = render('{% from "components/forms.html" import radios, select, checkbox with context %}'
                  '{{ radios("terms", "是否接受服务条款", [{"value": "accept", "text": "接受"}, {"value": "decline", "text": "不接受"}], value="accept", error="请选择") }}'
                  '{{ select("stage", "现任教学段", [{"value": "1", "text": "小学"}, {"value": "2", "text": "初级中学"}], value=2, placeholder="请选择") }}'
                  '{{ checkbox("agree", "我已阅读并同意用户协议", checked=True) }}')
    assert re.search(r'<input class="radios__input" id="terms" name="terms" type="radio" value="accept" checked', html)
    assert 'id="terms-2" name="terms" type="radio" value="decline">' in html
    assert re.search(r"<fieldset[^>]*aria-describedby=\"terms-error\"", html)
    assert '<option value="2" selected>初级中学</option>' in html and '<option value="">请选择</option>' in html
    assert re.search(r'id="agree" name="agree" type="checkbox" value="1" checked', html)


def test_warning_offers_two_real_buttons() -> None:
    html = render('{% from "components/warning.html" import warning_choice with context %}'
                  '{{ warning_choice("证书号码通常是 15 位或 17 位数字，您输入的是 16 位。") }}')
    assert '<button type="submit" class="button button--primary" name="decision" value="back">返回修改</button>' in html
    assert '<button type="submit" class="button button--secondary" name="decision" value="continue">仍然继续</button>' in html
    assert "confirm(" not in html


def test_step_indicator_says_where_the_person_is() -> None:
    steps = ["申报人必读", "服务条款", "证书号码", "证书信息", "确认点", "注意事项", "申请材料", "完成"]
    zh = render('{% from "components/steps.html" import step_indicator with context %}{{ step_indicator(3, steps) }}',
                steps=steps)
    assert "第 3 步，共 8 步" in zh
    assert '<li class="steps__item steps__item--current" aria-current="step">证书号码</li>' in zh
    assert zh.count('aria-current="step"') == 1
    assert zh.count("steps__item--done") == 2
    en = render('{% from "components/steps.html" import step_indicator with context %}{{ step_indicator(3, steps) }}',
                lang="en", steps=steps)
    assert "Step 3 of 8" in en


def test_summary_list_has_a_change_link_naming_the_answer() -> None:
    html = render('{% from "components/summary.html" import summary_list with context %}{{ summary_list(rows) }}',
                  rows=[{"key": "证书号码", "value": "20213100000001", "href": "/wizard/step/3"},
                        {"key": "注册机构", "value": "某区教育局"}])
    assert '<a href="/wizard/step/3">修改<span class="visually-hidden"> 证书号码</span></a>' in html
    assert html.count("修改") == 1


@pytest.mark.parametrize(("status", "colour", "label"), [
    ("REGISTERED", "green", "注册合格"), ("REJECTED", "red", "注册不合格"), ("SUBMITTED", "blue", "信息提交成功，等待现场确认"),
])
def test_status_tag_has_colour_and_words(status: str, colour: str, label: str) -> None:
    html = render('{% from "components/status.html" import status_tag with context %}{{ status_tag(s) }}', s=status)
    assert f'<strong class="tag tag--{colour}">{label}</strong>' in html


def test_timeline_shows_china_time() -> None:
    events = [{"at": datetime(2026, 3, 1, 17, 30, tzinfo=UTC), "who": "某确认点", "what": "信息已确认", "reason": "材料齐全"}]
    html = render('{% from "components/status.html" import timeline with context %}{{ timeline(events) }}', events=events)
    assert "2026年3月2日 01:30" in html  # 17:30 UTC is 01:30 the next day in Beijing
    assert 'datetime="2026-03-01T17:30:00+00:00"' in html
    assert "原因：材料齐全" in html


def test_pagination_links_keep_the_filter_and_mark_the_current_page() -> None:
    html = render('{% from "components/pagination.html" import pagination with context %}'
                  '{{ pagination(5, 10, "/staff/applications", {"q": "张"}) }}')
    assert 'href="/staff/applications?page=4&amp;q=%E5%BC%A0" rel="prev">上一页' in html
    assert 'href="/staff/applications?page=6&amp;q=%E5%BC%A0" rel="next">下一页' in html
    assert re.search(r'page=5&amp;q=%E5%BC%A0" aria-current="page"', html)
    assert html.count("…") == 2
    assert "page=3&" not in html and "page=1&" in html and "page=10&" in html
    assert render('{% from "components/pagination.html" import pagination with context %}'
                  '{{ pagination(1, 1, "/x") }}').strip() == ""


def test_data_table_escapes_links_locally_and_says_when_empty() -> None:
    columns = [{"key": "number", "label": "报名号", "link_key": "href"}, {"key": "name", "label": "姓名"}]
    html = render('{% from "components/table.html" import data_table with context %}{{ data_table(c, r, "申请列表") }}',
                  c=columns, r=[{"number": "A1", "href": "/staff/a/1", "name": "<b>王</b>"},
                                {"number": "A2", "href": "https://evil.example", "name": "李"}])
    assert '<a href="/staff/a/1">A1</a>' in html
    assert 'href="https://evil.example"' not in html
    assert "&lt;b&gt;王&lt;/b&gt;" in html
    assert '<th scope="col"' in html and "<caption" in html
    empty = render('{% from "components/table.html" import data_table with context %}{{ data_table(c, [], "申请列表") }}',
                   c=columns)
    assert "没有符合条件的记录" in empty


def test_banner_and_panel_take_text_or_a_call_block() -> None:
    html = render('{% from "components/banner.html" import notification_banner, panel with context %}'
                  '{% call notification_banner(kind="success") %}<p>已保存</p>{% endcall %}'
                  '{{ notification_banner("确认时间即将结束") }}'
                  '{% call panel("提交成功") %}报名号 <strong>A123</strong>{% endcall %}')
    assert 'class="banner banner--success" role="alert"' in html and "<p>已保存</p>" in html
    assert 'role="region"' in html and "<p>确认时间即将结束</p>" in html and "重要提示" in html
    assert "报名号 <strong>A123</strong>" in html
    title_only = render('{% from "components/banner.html" import panel with context %}{{ panel("已发送") }}')
    assert "已发送" in title_only and "None" not in title_only


def test_buttons_and_back_link() -> None:
    html = render('{% from "components/buttons.html" import button, button_link, back_link with context %}'
                  '{{ button("下一步") }}{{ button("撤回", kind="warning", name="action", value="withdraw") }}'
                  '{{ button_link("注册账号", "/account/register", start=True) }}{{ back_link("/wizard/step/2") }}')
    assert '<button type="submit" class="button button--primary">下一步</button>' in html
    assert 'class="button button--warning" name="action" value="withdraw"' in html
    assert 'role="button"' in html and "button--start" in html
    assert '<a href="/wizard/step/2" class="back-link">返回</a>' in html


def test_csrf_field_renders_the_request_token() -> None:
    request = request_for(state={"csrf_token": "abc.def"})
    html = ENV.from_string("{{ csrf_field() }}").render(page_context(request))
    assert html == '<input type="hidden" name="csrf_token" value="abc.def">'


def test_mask_and_date_filters() -> None:
    html = render("{{ p | mask }} {{ d | mask('document') }} {{ when | date }}", p="13812345678",
                  d="11010519491231002X", when=datetime(2026, 2, 28, 16, 0, tzinfo=UTC))
    assert html == "138****5678 1101**********002X 2026年3月1日"
    assert render("{{ d | mask('document') }}", d="H1234567") == "H*****67"  # the services' form too
    assert render("{{ when | date }}", lang="en", when=date(2026, 3, 1)) == "1 March 2026"


def test_link_helper_refuses_foreign_urls() -> None:
    assert render('{{ link("/help/faq", q="a b", page=None) }}') == "/help/faq?q=a+b"
    assert render('{{ link("//evil.example") }}') == "/"
