"""Comparisons across answers that catch real mistakes, but may be legitimate: warnings.

- The birth date inside an 18-character ID or residence-permit number against the certificate
  holder's birth date: a typo in the certificate data, or someone else's certificate.
- The certificate holder's name against the account's verified name: a typo, or a name changed
  since certification (legitimate, hence only a warning).
- The certificate's province (known for registry records) against the chosen authority's
  province: a teacher who moved provinces is legitimate; a mis-clicked authority is not.
- The work history should cover the five-year cycle.

Errors that can never be right (an issue date before the holder was 18, a date in the future) are
in ``validation``; they are not overridable.
"""

from __future__ import annotations

import re
from datetime import date

from tqr_application.domain.reference import Authority
from tqr_application.domain.wizard.answers import CertificateData, Materials, cycle_start
from tqr_application.domain.wizard.env import Account, normalise_document_number
from tqr_application.domain.wizard.steps import Step
from tqr_application.domain.wizard.warnings import (
    BIRTH_DATE_MISMATCH,
    HISTORY_NOT_COVERING_CYCLE,
    HOLDER_NAME_MISMATCH,
    PROVINCE_MISMATCH,
    WizardWarning,
)

# Document types whose 18-character number embeds the birth date (GB 11643 layout).
BIRTH_DATE_IN_NUMBER = frozenset({"ID_CARD", "HKMO_RESIDENCE", "TW_RESIDENCE"})
_NAME_NOISE = re.compile(r"[\s·•・.．]")  # spaces and the middle dots of minority and foreign names


def birth_date_in_document(document_type: str, number: str) -> date | None:
    clean = normalise_document_number(number)
    if document_type not in BIRTH_DATE_IN_NUMBER or len(clean) != 18 or not clean[6:14].isdigit():
        return None
    try:
        return date(int(clean[6:10]), int(clean[10:12]), int(clean[12:14]))
    except ValueError:
        return None


def same_name(a: str, b: str) -> bool:
    return _NAME_NOISE.sub("", a).casefold() == _NAME_NOISE.sub("", b).casefold()


def certificate_warnings(certificate: CertificateData, account: Account,
                         authority: Authority | None) -> list[WizardWarning]:
    step = Step.CERTIFICATE_DATA_AND_AUTHORITY
    found: list[WizardWarning] = []
    in_document = birth_date_in_document(account.document_type, account.document_number)
    if in_document and certificate.birth_date and in_document != certificate.birth_date:
        found.append(WizardWarning(
            BIRTH_DATE_MISMATCH, step, "birth_date",
            "证书上的出生日期与您的证件号码中的出生日期不一致，请核对；确认无误可选择“仍然继续”",
            "The birth date on the certificate differs from the one in your ID number; check it, or "
            "continue if it is right",
        ))
    if not same_name(certificate.holder_name, account.name):
        found.append(WizardWarning(
            HOLDER_NAME_MISMATCH, step, "holder_name",
            "证书持证人姓名与您实名核验的姓名不一致。如果是改过名，可选择“仍然继续”，现场确认时请带上改名证明",
            "The holder's name differs from your verified name. If you changed your name, continue and "
            "bring proof of the change to the confirmation point",
        ))
    certificate_province = certificate.province_code[:2]
    if authority is not None and certificate_province and authority.region_code[:2] != certificate_province:
        found.append(WizardWarning(
            PROVINCE_MISMATCH, step, "authority_code",
            "您选择的注册机构与证书认定地不在同一个省份。请确认是按现任教学校所在地选择的注册机构",
            "The authority you chose is in a different province from where the certificate was issued. "
            "Check that you chose the authority where your school is",
        ))
    return found


def materials_warnings(materials: Materials, today: date) -> list[WizardWarning]:
    start = cycle_start(today)
    earliest = min((p.start for p in materials.work_history), default=None)
    if earliest is None or earliest <= start:
        return []
    return [WizardWarning(
        HISTORY_NOT_COVERING_CYCLE, Step.MATERIALS, "work_history",
        f"工作经历应覆盖近五年（{start.year}年{start.month}月{start.day}日至今），您填写的最早一段从"
        f"{earliest.year}年{earliest.month}月{earliest.day}日开始。请补全；如这段时间确未工作，可选择“仍然继续”",
        f"Your work history should cover the last five years (since {start.isoformat()}); it starts "
        f"{earliest.isoformat()}. Add the missing periods, or continue if you were not working then",
    )]
