"""R-PUB-1: the public registration result check (注册结果查询).

Anyone may ask with a certificate number and the holder's name (the gateway asks a human check
first and limits each client address); the answer is the result of the newest decision on that
certificate under that name and the decision's date, nothing else. Pending, unknown and
mismatched queries get the same empty answer, so the check cannot be used to learn who applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from servicekit.errors import InvalidInput

from tqr_application.domain.status import ApplicationStatus
from tqr_application.domain.wizard import fields
from tqr_application.domain.wizard.fields import Problems
from tqr_application.domain.wizard.validation import read_certificate_number

RULE = "R-PUB-1"
DECIDED = (ApplicationStatus.REGISTERED, ApplicationStatus.DEFERRED, ApplicationStatus.REJECTED)
MAX_NAME = 50  # as the certificate's holder name in the wizard


@dataclass(frozen=True)
class ResultQuery:
    certificate_number: str  # canonical (R-WIZ-11)
    name: str  # spaces collapsed


@dataclass(frozen=True)
class PublicResult:
    status: ApplicationStatus  # one of DECIDED
    decided_at: datetime


def parse_query(values: Mapping[str, Any]) -> ResultQuery:
    """Both fields checked at once; InvalidInput names each problem in Chinese and English."""
    p = Problems(RULE)
    number = read_certificate_number(p, values.get("certificate_number"))
    name = fields.text(p, values, "name", "持证人姓名", "holder's name", max_length=MAX_NAME)
    if p:
        raise InvalidInput(p.items, code=RULE)
    return ResultQuery(number, same_name_form(name or ""))


def same_name_form(name: str) -> str:
    """Names compare without their spaces: "王 小明" and "王小明" are one person's name typed twice."""
    return "".join(name.split())


def newest(decisions: list[tuple[str, ApplicationStatus, datetime]], query: ResultQuery) -> PublicResult | None:
    """From (applicant name, decided status, decision time) on the certificate: the newest whose
    name is the one asked for."""
    mine = [(status, at) for name, status, at in decisions if same_name_form(name) == query.name]
    if not mine:
        return None
    status, at = max(mine, key=lambda d: d[1])
    return PublicResult(status, at)
