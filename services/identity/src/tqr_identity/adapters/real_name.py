"""The national identity authority (R-ID-9) as the service sees it, called with a deadline.

A provider answers "matches" or "does not match" (with a reason a person can act on). Anything
else — a timeout, a refused connection, a provider error — is an outage: the handler records
nothing against the person and asks them to try again later.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from servicekit.errors import DependencyUnavailable

from tqr_identity.domain.documents import DocumentType

log = logging.getLogger(__name__)
RULE = "R-ID-9"


@dataclass(frozen=True)
class RealNameAnswer:
    matched: bool
    reason_zh: str = ""
    reason_en: str = ""


# The two ways an authority says "no", as the person reads them (every provider answers with these).
NO_MATCH_ANSWER = RealNameAnswer(
    False,
    "证件号码与姓名不一致，请核对姓名（包括生僻字）后重试",
    "The name does not match the document number; check the name (including rare characters) and try again",
)
NO_RECORD_ANSWER = RealNameAnswer(
    False,
    "未能在身份认证系统中核实您的证件信息",
    "The identity authority could not confirm your document details",
)


class RealNameProviderUnavailable(Exception):
    """The provider could not answer (its own words; never carries the person's data)."""


class RealNameProvider(Protocol):
    async def verify(self, document_type: DocumentType, document_number: str, name: str) -> RealNameAnswer:
        """Does the authority hold this (type, number) under this name?"""
        ...


def outage() -> DependencyUnavailable:
    return DependencyUnavailable(
        RULE,
        "实名核验服务暂时无法使用，本次未记录任何结果，请稍后再试",
        "The real-name verification service is unavailable; nothing was recorded, please try again later",
    )


async def verify_with_deadline(
    provider: RealNameProvider, document_type: DocumentType, number: str, name: str, deadline_seconds: float
) -> RealNameAnswer:
    """The provider's answer, or DependencyUnavailable("R-ID-9") on timeout or failure."""
    try:
        return await asyncio.wait_for(provider.verify(document_type, number, name), timeout=deadline_seconds)
    except TimeoutError:
        log.warning("real-name provider did not answer within the deadline",
                    extra={"deadline_seconds": deadline_seconds})
        raise outage() from None
    except RealNameProviderUnavailable as exc:
        log.warning("real-name provider unavailable", extra={"provider_error": type(exc).__name__})
        raise outage() from None
