"""One simulated person's HTTP client, and the recorder every request reports to.

Each applicant has its own loopback source address (127.0.0.2 … 127.0.0.254), so the gateway's
per-client limits see many people, as they would in production, instead of one address hammering
them. Cookies are kept by hand: the gateway's cookies are ``__Host-`` and Secure, which a plain-http
client jar would refuse to send; the CSRF cookie's value goes back as ``X-CSRF-Token``.
"""

from __future__ import annotations

import asyncio
import gc
import random
import ssl
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

CSRF_COOKIES = ("__Host-csrf", "csrf")

# httpx builds a TLS context (reading the CA bundle, ≈ 20 ms of CPU) for every client unless given
# one; each journey has a client of its own, and the load generator shares the system's CPUs.
_TLS = ssl.create_default_context()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection in the load generator while it measures.

    The generator times every request itself, so a pause of its own is counted as the system's
    latency: a full collection of its heap (every sample so far) stopped all the simulated people at
    once for 50-140 ms, and the first generation's collections added ≈ 0.4 s of CPU to a 20 s phase
    on the machine it shares with the system. As ``timeit`` does, collect before and after the
    measured stretch instead; a run is bounded in time, so what piles up meanwhile is bounded too."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


@dataclass
class Sample:
    step: str
    started: float  # monotonic seconds
    seconds: float
    ok: bool


@dataclass
class Recorder:
    """Latency per step and every error, with the time window they fall in."""

    samples: list[Sample] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: dict[str, str] = field(default_factory=dict)
    retries: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)  # every answer; 0 = no answer (connection)
    refusals: list[dict[str, Any]] = field(default_factory=list)  # answers 5xx/0, with their body

    def add(self, step: str, started: float, seconds: float, ok: bool) -> None:
        self.samples.append(Sample(step, started, seconds, ok))

    def error(self, step: str, what: str, example: str = "") -> None:
        key = f"{step}: {what}"
        self.errors[key] += 1
        self.error_examples.setdefault(key, example[:300])

    def by_step(self, since: float = 0.0, until: float = float("inf")) -> dict[str, list[float]]:
        found: dict[str, list[float]] = defaultdict(list)
        for s in self.samples:
            if s.ok and since <= s.started <= until:
                found[s.step].append(s.seconds)
        return found


class Pacer:
    """One applicant's request schedule: every ``interval`` seconds from a random offset, whatever
    the answers' speed (an open loop: requests arrive at the rate people make them).

    ``random_gaps``: the gaps are drawn from an exponential distribution of that mean (a person's
    pauses vary; together the applicants' requests arrive as a Poisson stream). Fixed gaps would keep
    applicants who started together in step, and their submissions would arrive in waves."""

    def __init__(self, interval: float, *, random_gaps: bool = False) -> None:
        self.interval = interval
        self.random_gaps = random_gaps
        self._due = time.monotonic() + random.random() * interval

    def _gap(self) -> float:
        return random.expovariate(1 / self.interval) if self.random_gaps else self.interval

    async def next(self) -> float:
        """Wait for the next slot; return when it was due (in the past when running late)."""
        due, self._due = self._due, self._due + self._gap()
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        return due

    def resume(self) -> None:
        """After a pause the person chose (reading a page), the next request is due now at the
        earliest: the slots missed while reading were not the system's delay."""
        self._due = max(self._due, time.monotonic())


class UnexpectedAnswer(Exception):
    def __init__(self, step: str, status: int, body: str) -> None:
        super().__init__(f"{step}: HTTP {status}")
        self.step = step
        self.status = status
        self.body = body


class ApiClient:
    def __init__(self, base_url: str, source_address: str, recorder: Recorder, timeout: float = 30.0) -> None:
        transport = httpx.AsyncHTTPTransport(local_address=source_address, retries=0, verify=_TLS)
        limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
        self.http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout, limits=limits)
        self.cookies: dict[str, str] = {}
        self.recorder = recorder
        self.pacer: Pacer | None = None  # every request on the pacer's schedule (open loop) when set

    async def close(self) -> None:
        await self.http.aclose()

    def session_headers(self) -> dict[str, str]:
        """What this person's next request would carry: session cookie and CSRF token (wrk.py replays them)."""
        return self._headers(None)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"accept-language": "zh-CN"}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        csrf = next((self.cookies[name] for name in CSRF_COOKIES if name in self.cookies), "")
        if csrf:
            headers["x-csrf-token"] = csrf
        headers.update(extra or {})
        return headers

    def _keep_cookies(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            pair = header.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if "max-age=0" in header.lower() or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()

    async def call(self, step: str, method: str, path: str, *, expect: tuple[int, ...] = (200,),
                   json: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        """One request, timed under ``step``; an unexpected status raises ``UnexpectedAnswer``.

        A paced request (``pacer`` set) waits for its slot and is timed from when it was due, so a
        request sent late because the system was slow counts its wait too (no coordinated omission).
        """
        scheduled = await self.pacer.next() if self.pacer is not None else None
        started = time.monotonic() if scheduled is None else min(scheduled, time.monotonic())
        try:
            response = await self.http.request(method, path, json=json, headers=self._headers(headers))
            await response.aread()
        except httpx.HTTPError as exc:
            elapsed = time.monotonic() - started
            self.recorder.add(step, started, elapsed, ok=False)
            self.recorder.statuses[0] += 1
            raise UnexpectedAnswer(step, 0, f"{type(exc).__name__}: {exc}") from exc
        elapsed = time.monotonic() - started
        self.recorder.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.recorder.refusals.append({"step": step, "status": response.status_code,
                                           "content_type": response.headers.get("content-type", ""),
                                           "body": response.text[:500]})
        self._keep_cookies(response)
        ok = response.status_code in expect
        self.recorder.add(step, started, elapsed, ok=ok)
        if not ok:
            raise UnexpectedAnswer(step, response.status_code, response.text)
        return response
