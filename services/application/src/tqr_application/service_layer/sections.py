"""The stored form of an application's sections, and their checks (shared with the wizard domain).

An application row keeps its sections as JSON dicts (``certificate``, ``materials``); the wizard
domain's typed answers convert to them here, and edits after submission (R-APP-3) are checked by
the same domain validation the wizard uses.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from servicekit.errors import FieldProblem, InvalidInput

from tqr_application.domain.wizard import CertificateData, Materials, validation
from tqr_application.domain.wizard.env import ReferenceCodes
from tqr_application.domain.wizard.fields import EMAIL


def certificate_record(number: str, data: CertificateData) -> dict[str, Any]:
    return {
        "certificate_number": number,
        "holder_name": data.holder_name,
        "gender": data.gender,
        "birth_date": data.birth_date.isoformat() if data.birth_date else "",
        "certificate_type_code": data.certificate_type_code,
        "subject_code": data.subject_code,
        "issuing_body": data.issuing_body,
        "issue_date": data.issue_date.isoformat(),
        "locked": data.locked,
        "province_code": data.province_code,
    }


def materials_record(data: Materials) -> dict[str, Any]:
    """The stored materials section: the domain's own JSON form."""
    return data.to_dict()


def codes_of(names: dict[str, dict[str, str]]) -> ReferenceCodes:
    return ReferenceCodes(
        certificate_types=frozenset(names["certificate_types"]),
        subjects=frozenset(names["subjects"]),
        teaching_stages=frozenset(names["stages"]),
    )


def check_materials(raw: dict[str, Any], today: date, rule: str = "R-WIZ-7") -> dict[str, Any]:
    """Contact and current-work sections, every field required, problems per field (R-WIZ-7)."""
    try:
        return materials_record(validation.parse_materials(raw, today))
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, code=rule) from exc


def check_email(value: str, rule: str = "R-WIZ-7", name: str = "email") -> str:
    clean = (value or "").strip()
    if not EMAIL.match(clean):
        raise InvalidInput([FieldProblem(name, rule, "电子邮箱格式不正确", "Not a valid email address")], code=rule)
    return clean


def check_certificate_details(
    raw: dict[str, Any], names: dict[str, dict[str, str]], today: date, rule: str = "R-WIZ-4"
) -> CertificateData:
    """The self-filled certificate section as printed on the certificate."""
    try:
        return replace(validation.parse_certificate_data(raw, codes_of(names), today), locked=False)
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, code=rule) from exc
