"""R-ID-12 on the whole system (`make run`): the gateway remembers resolved sessions for a few
seconds (GATEWAY_SESSION_CACHE_SECONDS), yet a session that ends is refused with the very next
request — on this device and on every other one.

A new applicant registers on a phone (signed in by registering) and signs in on a laptop; the
laptop's session is used a few times (the gateway now remembers it), then the phone changes the
password, which ends every other session; then the phone signs out.
"""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.api_client import ApiClient
from tests.e2e.demo import PASSWORD, new_mobile, new_registry_holder, own_address, register
from tools.devrun import GATEWAY_METRICS_PORT

pytestmark = [pytest.mark.slow]
NEW_PASSWORD = "Renewed#2027teacher"


def cache_hits(port_offset: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{GATEWAY_METRICS_PORT + port_offset}/metrics", timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('tqr_gateway_session_cache_lookups_total{outcome="hit"}'))


async def sign_in(api: ApiClient, document_number: str, password: str) -> None:
    signed = await api.request("POST", "/api/v1/account/sessions", json={
        "document_type": "ID_CARD", "document_number": document_number, "password": password,
        "pass_token": await api.human_pass()})
    assert signed.status_code == 201, signed.text


async def me(api: ApiClient) -> int:
    return (await api.request("GET", "/api/v1/account/me")).status_code


async def test_r_id_12_an_ended_session_is_refused_at_once_though_the_gateway_remembers_it(running_system) -> None:
    url, var = running_system.url, running_system.var
    holder = new_registry_holder(var)
    async with ApiClient(url, source_address=own_address()) as phone, \
            ApiClient(url, source_address=own_address()) as laptop:
        await register(phone, var, holder.document_number, holder.holder_name, new_mobile())
        await sign_in(laptop, holder.document_number, PASSWORD)
        hits_before = cache_hits(running_system.port_offset)
        assert [await me(laptop) for _ in range(4)] == [200] * 4
        assert cache_hits(running_system.port_offset) > hits_before  # the laptop's session is remembered

        changed = await phone.request("POST", "/api/v1/account/password", json={
            "current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        assert changed.status_code == 200 and changed.json()["sessions_ended"] == 1, changed.text
        assert await me(laptop) == 401  # the very next request
        assert await me(phone) == 200  # the session that changed the password goes on

        phone_cookies = dict(phone.cookies)
        assert (await phone.request("DELETE", "/api/v1/account/sessions/current")).status_code == 204
        phone.cookies = phone_cookies  # the old cookie, presented again
        assert await me(phone) == 401
