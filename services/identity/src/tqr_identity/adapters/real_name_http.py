"""The national identity authority over HTTP (R-ID-9): the production provider.

The contract (JSON bodies, status codes, headers) is written down in services/identity/README.md,
"The identity authority's HTTP contract"; in short, ``POST <url>`` with
``{"name", "document_type", "document_number"}`` answers ``{"result": "match" | "no_match" |
"no_record" | "try_later"}``.

One verification is one idempotency key, sent unchanged with every attempt, so that a retry after
a lost answer is the same check to the authority. Only what is safe and may pass is retried: a
timeout, a connection failure, 408/429/5xx and "try later"; a 4xx says our request or our
credentials are wrong and a retry would be refused the same way. Every attempt passes the circuit
breaker first. Whatever ends without an answer about the person is ``RealNameProviderUnavailable``:
the service records nothing and asks the person to try again later (adapters.real_name).

The document number is personal data: it goes only into the request body; log lines carry its
masked form (servicekit.masking) and exceptions never carry it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from servicekit.masking import mask_document_number

from tqr_identity.adapters.circuit_breaker import CircuitBreaker
from tqr_identity.adapters.real_name import (
    NO_MATCH_ANSWER,
    NO_RECORD_ANSWER,
    RealNameAnswer,
    RealNameProviderUnavailable,
)
from tqr_identity.domain.documents import DocumentType
from tqr_identity.metrics import REAL_NAME_LATENCY, REAL_NAME_REQUESTS

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
ANSWERS = {"match": RealNameAnswer(True), "no_match": NO_MATCH_ANSWER, "no_record": NO_RECORD_ANSWER}
TRY_LATER = "try_later"
_RETRYABLE_4XX = frozenset({408, 429})


@dataclass(frozen=True)
class ClientCertificate:
    """PEM files for mutual TLS: our certificate and key, and the CA the authority's server
    certificate chains to (empty: the system's trusted CAs)."""

    cert: str = ""
    key: str = ""
    ca: str = ""


def tls_context(files: ClientCertificate) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=files.ca or None)
    if files.cert:
        context.load_cert_chain(files.cert, files.key or None)
    return context


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    attempt_deadline_seconds: float = 1.0
    backoff_seconds: float = 0.2  # doubled after each failed attempt


class _Retryable(Exception):
    """An attempt failed in a way another attempt may fix (its text names the outcome only)."""


class _Refused(RealNameProviderUnavailable):
    """Not retried: the authority will not answer this request differently."""


class HttpRealNameProvider:
    def __init__(self, url: str, api_key: str, breaker: CircuitBreaker, *,
                 api_key_header: str = "X-Api-Key", retry: RetryPolicy | None = None,
                 client_certificate: ClientCertificate | None = None,
                 client: httpx.AsyncClient | None = None) -> None:
        self._url = url
        self._headers = {api_key_header: api_key, "Accept": "application/json"}
        self._breaker = breaker
        self._retry = retry or RetryPolicy()
        self._client = client or httpx.AsyncClient(
            verify=tls_context(client_certificate or ClientCertificate()),
            timeout=self._retry.attempt_deadline_seconds,
        )
        self._owns_client = client is None

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def verify(self, document_type: DocumentType, document_number: str, name: str) -> RealNameAnswer:
        body = {"name": name, "document_type": document_type.value, "document_number": document_number}
        key = uuid.uuid4().hex
        masked = mask_document_number(document_number)
        for attempt in range(1, self._retry.max_attempts + 1):
            try:
                return await self._attempt(body, key)
            except _Retryable as failure:
                log.warning("identity authority attempt failed", extra={
                    "outcome": str(failure), "attempt": attempt, "idempotency_key": key, "document": masked})
            if attempt < self._retry.max_attempts:
                await asyncio.sleep(self._retry.backoff_seconds * 2 ** (attempt - 1))
        raise RealNameProviderUnavailable(f"no answer after {self._retry.max_attempts} attempts")

    async def _attempt(self, body: dict[str, str], key: str) -> RealNameAnswer:
        if not self._breaker.allow():
            REAL_NAME_REQUESTS.labels(outcome="breaker_open").inc()
            raise RealNameProviderUnavailable("circuit breaker open")
        started = time.perf_counter()
        outcome = "cancelled"  # the caller's deadline ended the wait
        try:
            answer, outcome = await self._exchange(body, key)
        except (_Retryable, _Refused) as failure:
            outcome = str(failure)
            self._breaker.record_failure()
            raise
        except BaseException:
            # Cancelled or broken: a half-open breaker's probe slot must be given back either way.
            self._breaker.record_failure()
            raise
        finally:
            REAL_NAME_REQUESTS.labels(outcome=outcome).inc()
            REAL_NAME_LATENCY.observe(time.perf_counter() - started)
        self._breaker.record_success()
        return answer

    async def _exchange(self, body: dict[str, str], key: str) -> tuple[RealNameAnswer, str]:
        """The answer and its outcome label; raises with the outcome as the exception's text."""
        try:
            async with asyncio.timeout(self._retry.attempt_deadline_seconds):
                response = await self._client.post(
                    self._url, json=body, headers={**self._headers, IDEMPOTENCY_HEADER: key})
        except (TimeoutError, httpx.TimeoutException):
            raise _Retryable("timeout") from None
        except (httpx.TransportError, OSError):
            # OSError: a TLS alert (a refused client certificate) can pass httpx unwrapped.
            raise _Retryable("unreachable") from None
        status = response.status_code
        if status >= 500 or status in _RETRYABLE_4XX:
            result = _result(response)
            raise _Retryable(TRY_LATER if result == TRY_LATER else "server_error")
        if status != 200:
            # Our request or credentials are wrong: an operator must look, a retry would not help.
            log.error("identity authority refused the request", extra={"status": status, "idempotency_key": key})
            raise _Refused("rejected")
        result = _result(response)
        if result == TRY_LATER:
            raise _Retryable(TRY_LATER)
        if result not in ANSWERS:
            log.error("identity authority answered outside the contract", extra={"idempotency_key": key})
            raise _Refused("bad_answer")
        return ANSWERS[result], result


def _result(response: httpx.Response) -> str:
    try:
        data: Any = response.json()
    except ValueError:
        return ""
    return data.get("result", "") if isinstance(data, dict) and isinstance(data.get("result"), str) else ""
