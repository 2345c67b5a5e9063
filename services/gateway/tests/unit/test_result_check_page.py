"""R-PUB-1: the public result check page (注册结果查询) over the fake identity service (its human
check) and an in-process stand-in for the application service's PublicResultService."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import grpc
import pytest
from servicekit import errors
from tqr.application.v1 import public_pb2 as pb
from tqr_gateway.deps import application_client
from tqr_gateway.web.language import LANG_COOKIE

from services.gateway.tests.unit import account_fakes as fakes
from services.gateway.tests.unit.client_fakes import refused

pytestmark = pytest.mark.redis
PATH = "/result-check"
PASSED = {"hc_kind": "slider", "hc_challenge": "slider-1", "hc_answer": fakes.SLIDER_ANSWER}
ASKED = {"certificate_number": "20151100000077001", "name": "张晓燕"}
DECIDED_AT = 1_773_108_000  # 2026-03-10 10:00 Beijing time


@dataclass
class FakePublicResults:
    """What the page asks of the application client, and what it answers."""

    reply: pb.CheckRegistrationResultResponse = field(default_factory=pb.CheckRegistrationResultResponse)
    refusal: grpc.aio.AioRpcError | None = None
    asked: list[tuple[str, str]] = field(default_factory=list)

    async def check_registration_result(self, certificate_number: str, name: str
                                        ) -> pb.CheckRegistrationResultResponse:
        self.asked.append((certificate_number, name))
        if self.refusal is not None:
            raise self.refusal
        return self.reply


@pytest.fixture
def results() -> FakePublicResults:
    return FakePublicResults()


@pytest.fixture
def client(results):
    with fakes.gateway(fakes.FakeIdentity()) as client:
        client.app.dependency_overrides[application_client] = lambda: results
        yield client


def post(client, data):
    return client.post(PATH, data={**data, "csrf_token": fakes.csrf(client)}, follow_redirects=False)


def test_r_pub_1_the_page_is_public_and_asks_number_name_and_a_human_check(client):
    page = client.get(PATH)
    assert page.status_code == 200  # nobody signed in
    [form] = re.findall(r'<form method="post".*?</form>', page.text, re.S)
    for name in ("csrf_token", "certificate_number", "name", "hc_answer"):
        assert f'name="{name}"' in form
    assert 'href="/result-check"' in client.get("/").text  # the home page leads to it


def test_r_pub_1_the_answer_is_the_result_and_its_date(client, results):
    results.reply = pb.CheckRegistrationResultResponse(result=pb.REGISTRATION_RESULT_DEFERRED)
    results.reply.decided_at.FromSeconds(DECIDED_AT)
    shown = post(client, {**ASKED, **PASSED})
    assert shown.status_code == 200 and results.asked == [("20151100000077001", "张晓燕")]
    assert re.search(r'id="result-value">暂缓注册<', shown.text)
    assert re.search(r'id="result-date">2026年3月10日<', shown.text)
    client.cookies.set(LANG_COOKIE, "en")
    english = post(client, {**ASKED, **PASSED})
    assert re.search(r'id="result-date">10 March 2026<', english.text)
    assert re.search(r'id="result-value">Registration deferred', english.text)


def test_r_pub_1_no_result_is_said_plainly(client, results):
    shown = post(client, {**ASKED, **PASSED})
    assert shown.status_code == 200 and 'id="result-none"' in shown.text and 'id="result-value"' not in shown.text


def test_r_pub_1_without_the_human_check_nothing_is_asked(client, results):
    refused = post(client, {**ASKED, **PASSED, "hc_answer": "3"})
    assert refused.status_code == 422 and 'id="hc_answer-error"' in refused.text
    assert results.asked == []


def test_r_pub_1_bad_input_is_shown_beside_its_field_in_the_users_language(client, results):
    results.refusal = _invalid([errors.FieldProblem("certificate_number", "R-PUB-1", "证书号码只能包含数字和字母",
                                                    "Digits and letters only")])
    refused = post(client, {**ASKED, **PASSED, "certificate_number": "2015-!!"})
    assert refused.status_code == 422
    assert 'id="certificate_number-error"' in refused.text and "证书号码只能包含数字和字母" in refused.text
    client.cookies.set(LANG_COOKIE, "en")
    assert "Digits and letters only" in post(client, {**ASKED, **PASSED}).text


def test_r_pub_1_each_client_address_may_ask_ten_times_in_ten_minutes(client, results):
    for _ in range(10):
        assert post(client, {**ASKED, **PASSED}).status_code == 200
    limited = post(client, {**ASKED, **PASSED})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert len(results.asked) == 10


def _invalid(problems: list[errors.FieldProblem]) -> grpc.aio.AioRpcError:
    return refused(errors.InvalidInput(problems, code="R-PUB-1"))
