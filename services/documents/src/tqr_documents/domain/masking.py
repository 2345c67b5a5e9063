"""Masking of personal numbers (identity document, mobile) for exports, logs and messages.

A masked value keeps enough characters for a person to recognise their own number and for staff to
tell two applicants apart, and never enough to reconstruct it.
"""

from __future__ import annotations

MASK_CHAR = "*"


def mask_document_number(number: str) -> str:
    """``110105199001011234`` -> ``1101**********1234``; short numbers keep only the last two."""
    text = number.strip()
    if len(text) >= 10:
        return text[:4] + MASK_CHAR * (len(text) - 8) + text[-4:]
    if len(text) > 2:
        return MASK_CHAR * (len(text) - 2) + text[-2:]
    return MASK_CHAR * len(text)


def mask_mobile(mobile: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    text = mobile.strip()
    if len(text) >= 7:
        return text[:3] + MASK_CHAR * (len(text) - 7) + text[-4:]
    return MASK_CHAR * len(text)


def looks_masked(value: str) -> bool:
    """True when the value is empty or carries the mask character.

    Guards the printable and exported data structures against a caller handing over a clear number.
    """
    return value == "" or MASK_CHAR in value
