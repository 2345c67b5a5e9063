"""A small JSON API client for tests against a running system on http://localhost.

The gateway's cookies are ``__Host-`` cookies with Secure, which a browser sends to
http://localhost but httpx does not; this client keeps them itself and sends the CSRF token the way
the pages' scripts do.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import httpx

from tools.loadtest.journey import answer_of


class ApiClient:
    def __init__(self, base_url: str, request_id: str = "", source_address: str = "") -> None:
        """``source_address``: a loopback address of the client's own (127.x.y.z), so the per-client
        limits of the gateway and the identity service count it apart from everything else."""
        transport = httpx.AsyncHTTPTransport(local_address=source_address) if source_address else None
        self.http = httpx.AsyncClient(base_url=base_url, timeout=20, transport=transport)
        self.cookies: dict[str, str] = {}
        self.request_id = request_id

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    def _remember(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.request_id:
            headers.setdefault("X-Request-ID", self.request_id)
        if method != "GET":
            headers.setdefault("X-CSRF-Token", await self.csrf_token())
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = await self.http.request(method, path, headers=headers, **kwargs)
        self._remember(response)
        return response

    async def csrf_token(self) -> str:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        response = await self.http.get("/api/v1/account/csrf-token", headers=headers)
        self._remember(response)
        return str(response.json()["csrf_token"])

    async def human_pass(self) -> str:
        """Solve the accessible text question (a short word problem) and return the pass token."""
        check = (await self.request("POST", "/api/v1/account/human-checks", json={"kind": "text"})).json()
        answer = solve(check["question"])
        reply = await self.request("POST", f"/api/v1/account/human-checks/{check['challenge_id']}/answer",
                                   json={"kind": "text", "answer": answer})
        return str(reply.json()["pass_token"])


def solve(question: str) -> str:
    return answer_of(question)
