"""Masks for personal numbers shown on pages, in logs and in exception messages.

Document and phone numbers are personal data: anything that leaves the database in clear text for
display or diagnostics goes through one of these.
"""

from __future__ import annotations

MASK = "*"


def mask_document_number(number: str) -> str:
    """Keep the first 4 and last 4 characters, stars between: ``1101**********002X``.

    Short numbers (permits have 8 to 11 characters) keep a quarter at each end instead, so at
    least half of the number is always hidden: ``12****78``, ``H1*****78``.
    """
    clean = "".join(number.split())
    keep = 4 if len(clean) >= 12 else len(clean) // 4
    if keep == 0:
        return MASK * len(clean)
    return clean[:keep] + MASK * (len(clean) - 2 * keep) + clean[-keep:]


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile number: ``138****5678``."""
    clean = "".join(phone.split())
    if len(clean) < 11:
        return mask_document_number(clean)
    return clean[:3] + MASK * (len(clean) - 7) + clean[-4:]


def mask_email(email: str) -> str:
    """Keep two characters of the local part and the domain: ``te***@example.cn``."""
    local, _, domain = email.partition("@")
    keep = local[:2] if len(local) > 2 else local[:1]
    return f"{keep}***@{domain}"
