"""The session-timeout warning (issue 19 item 21): a signed-in page carries the dialog and the
seconds its session has left; "继续使用" posts to a CSRF-checked endpoint that extends the session at
identity itself; when time runs out the page signs out and says why."""

from __future__ import annotations

import re
from typing import Any

import pytest

from services.gateway.tests.unit import account_fakes as fakes

pytestmark = pytest.mark.redis
COOKIE = "__Host-session"
IDLE_SECONDS = 1800.0


class CountingIdentity(fakes.FakeIdentity):
    """The fake identity client, counting the session look-ups that reach it."""

    resolved = 0

    async def resolve_session(self, session_token: str) -> Any:
        self.resolved += 1
        return await super().resolve_session(session_token)


@pytest.fixture
def fake() -> CountingIdentity:
    return CountingIdentity()


@pytest.fixture
def client(fake: CountingIdentity):
    with fakes.gateway(fake) as client:
        yield client


def signed_in(client, fake: CountingIdentity, valid_for: float = IDLE_SECONDS) -> str:
    token = fake.sign_in_applicant("VERIFIED")
    fake.sessions[token].valid_for_seconds = valid_for
    client.cookies.set(COOKIE, token)
    return token


def expires_in(html: str) -> int | None:
    found = re.search(r'<dialog[^>]*data-expires-in="(\d+)"', html)
    return int(found.group(1)) if found else None


def test_a_signed_in_page_carries_the_warning_counting_down_from_what_identity_said(client, fake) -> None:
    signed_in(client, fake)
    html = client.get("/help/faq").text
    assert IDLE_SECONDS - 5 <= expires_in(html) <= IDLE_SECONDS
    assert 'aria-labelledby="timeout-dialog-title"' in html and "session-timeout.js" in html
    assert "继续使用" in html and 'action="/account/logout"' in html
    assert re.search(r"<dialog[^>]*\bopen\b", html) is None  # closed: without scripts nothing shows


def test_nobody_signed_in_gets_no_warning(client) -> None:
    html = client.get("/help/faq").text
    assert "<dialog" not in html and "session-timeout.js" not in html


def test_a_session_whose_end_identity_did_not_give_gets_no_warning(client, fake) -> None:
    signed_in(client, fake, valid_for=0)
    assert expires_in(client.get("/help/faq").text) is None


def test_staying_signed_in_asks_identity_itself_and_answers_the_new_time(client, fake) -> None:
    signed_in(client, fake)
    token = fakes.csrf(client)
    before = fake.resolved
    reply = client.post("/account/session/keep-alive", headers={"X-CSRF-Token": token})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"signed_in": True, "expires_in": int(IDLE_SECONDS)}
    assert reply.headers["cache-control"] == "no-store"
    assert fake.resolved >= before + 1  # the call that restarts the idle time at identity


def test_staying_signed_in_needs_the_csrf_token(client, fake) -> None:
    signed_in(client, fake)
    fakes.csrf(client)
    before = fake.resolved
    refused = client.post("/account/session/keep-alive")
    assert refused.status_code == 403
    assert fake.resolved == before


def test_staying_signed_in_after_the_session_ended_says_signed_out(client, fake) -> None:
    token = signed_in(client, fake)
    csrf = fakes.csrf(client)
    del fake.sessions[token]
    reply = client.post("/account/session/keep-alive", headers={"X-CSRF-Token": csrf})
    assert reply.status_code == 401 and reply.json() == {"signed_in": False}


def test_a_timed_out_sign_out_lands_on_a_page_that_says_why(client, fake) -> None:
    signed_in(client, fake)
    csrf = fakes.csrf(client)
    out = client.post("/account/logout?timed_out=1", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/account/signed-out?timed_out=1"
    page = client.get(out.headers["location"]).text
    assert "长时间没有操作，系统已自动退出" in page
    assert "长时间没有操作" not in client.get("/account/signed-out").text
