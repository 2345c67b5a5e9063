"""SMS delivery behind one protocol, ``SmsProvider``; the alternative code channel (R-ID-6) uses
the same protocol with another provider.

``send`` never raises for a delivery problem; it returns a ``DeliveryResult``. For the HTTP
provider: 2xx → SENT (the provider's message id kept); timeouts, connection errors, 5xx, 408 and
429 → transient failure; any other 4xx → permanent failure. The provider's answer is stored with
the phone number and the message text (which may hold a code) replaced by ``[redacted]``.
Nothing here logs a phone number in clear or any message text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from servicekit.clock import Clock, SystemClock
from servicekit.masking import mask_mobile

from tqr_notification.channels.outbox_files import SMS_OUTBOX_FILE, append_record
from tqr_notification.domain.delivery import DeliveryResult, scrub

logger = logging.getLogger(__name__)

_TRANSIENT_4XX = frozenset({408, 429})


class SmsProvider(Protocol):
    async def send(self, phone: str, text: str, *, idempotency_key: str | None = None) -> DeliveryResult:
        """Send ``text`` to ``phone``; ``idempotency_key`` stays the same across retries."""
        ...


class HttpSmsProvider:
    """A JSON-over-HTTP SMS gateway.

    Request: ``POST url`` with header ``<api_key_header>: <api_key>`` and body
    ``{"to": phone, "text": text, "request_id": idempotency_key}``. A 2xx answer may carry the
    provider's id as ``message_id`` or ``id``.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        api_key_header: str = "X-Api-Key",
        deadline_seconds: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url
        self._headers = {api_key_header: api_key}
        self._deadline = deadline_seconds
        self._client = client
        self._owns_client = client is None

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> HttpSmsProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._deadline)
        return self._client

    async def send(self, phone: str, text: str, *, idempotency_key: str | None = None) -> DeliveryResult:
        body = {"to": phone, "text": text, "request_id": idempotency_key}
        try:
            # The whole exchange, not each socket operation, must end within the deadline.
            async with asyncio.timeout(self._deadline):
                response = await self._http().post(self._url, json=body, headers=self._headers)
        except (TimeoutError, httpx.TimeoutException):
            result = DeliveryResult.failed(f"no answer within {self._deadline}s", transient=True)
        except httpx.TransportError as error:
            result = DeliveryResult.failed(f"{type(error).__name__}: {error}", transient=True)
        else:
            result = _result_from_response(response, phone, text)
        if result.sent:
            logger.info(
                "sms sent", extra={"to": mask_mobile(phone), "provider_id": result.provider_message_id}
            )
        else:
            logger.warning(
                "sms not sent",
                extra={
                    "to": mask_mobile(phone),
                    "transient": result.transient,
                    "answer": result.provider_answer,
                },
            )
        return result


def _result_from_response(response: httpx.Response, phone: str, text: str) -> DeliveryResult:
    # Providers often echo the request; as JSON the text may be \u-escaped, so scrub both spellings.
    escaped = json.dumps(text)[1:-1]
    answer = scrub(f"HTTP {response.status_code}: {response.text}", phone, text, escaped)
    if response.is_success:
        return DeliveryResult.delivered(answer, message_id=_message_id(response))
    transient = response.status_code >= 500 or response.status_code in _TRANSIENT_4XX
    return DeliveryResult.failed(answer, transient=transient)


def _message_id(response: httpx.Response) -> str | None:
    try:
        data: Any = response.json()
    except ValueError:
        return None
    if isinstance(data, dict):
        for field in ("message_id", "id"):
            if data.get(field):
                return str(data[field])
    return None


class DevSmsProvider:
    """Development provider: appends every message to ``<store_dir>/sms.jsonl`` for the development
    outbox page. Never fails."""

    def __init__(self, store_dir: Path | str, *, channel: str = "sms", clock: Clock | None = None):
        self._file = Path(store_dir) / SMS_OUTBOX_FILE
        self._channel = channel
        self._clock = clock or SystemClock()
        self._counter = 0

    async def send(self, phone: str, text: str, *, idempotency_key: str | None = None) -> DeliveryResult:
        self._counter += 1
        now: datetime = self._clock.now()
        record = {
            "kind": "sms",
            "channel": self._channel,
            "to": phone,
            "text": text,
            "request_id": idempotency_key,
            "received_at": now.isoformat(),
            "message_id": f"dev-{self._channel}-{self._counter}",
        }
        await asyncio.to_thread(append_record, self._file, record)
        logger.info("dev sms recorded", extra={"to": mask_mobile(phone)})
        return DeliveryResult.delivered("recorded by the development provider", record["message_id"])
