"""Masked forms of personal numbers and addresses: the one rule for every page, log line, event,
message and export of every service and the gateway (rule R-PRIV-1, this project's own: one
masked form per value, whichever screen, message or file shows it).

A masked value keeps enough for its owner to recognise it and for staff to tell two people apart,
and never enough to rebuild it. Input is first put in the canonical form of typed numbers
(``servicekit.text.normalise_number``, R-WIZ-11), so a number typed full width, in lower case or
grouped with spaces masks exactly as its stored form does.

**Document numbers** (every type and length): the first and the last few characters stay, stars
between, one star per hidden character:

=========  ========================  ======================
length     kept (front + back)       example
=========  ========================  ======================
18         4 + 4                     ``1101**********002X``
16–17      3 + 4
14–15      3 + 3
12–13      2 + 3
9–11       2 + 2                     ``H1*****78``
8          1 + 2                     ``H*****67``, ``1*****78``
7          1 + 1
6          0 + 1
≤ 5        nothing                   ``*****``
=========  ========================  ======================

**Mobile numbers**: the first 3 and the last 4 digits (``138****5678``); a number shorter than a
mainland mobile is masked as a document number.

**Email addresses**: the first character of the local part, three stars whatever its length, and the
domain (``z***@example.com``); text without ``@`` is three stars.
"""

from __future__ import annotations

from typing import Final

from servicekit import text

MASK_CHAR: Final = "*"

# Why these bounds. The 18-character ID number's familiar 1101**********002X shows 8 of 18
# characters, 4 in every 9: no shorter number may show a larger share of itself than that.
# A short number also keeps at least 5 characters hidden, so that what is hidden is never a guess
# among a few thousand: an 8-character permit shows 3 (H*****67), never half of itself (H1****67).
# The extra kept character goes to the end, which is what people read to recognise their number.
MAX_KEPT_AT_EACH_END: Final = 4
SHOWN_PER_NINE: Final = 4
MIN_HIDDEN: Final = 5

# A mainland mobile number: the carrier prefix (3 digits) and the last 4 are what every Chinese
# service shows, and what people expect to see of their own number (138****5678).
MOBILE_LENGTH: Final = 11
MOBILE_FRONT: Final = 3
MOBILE_BACK: Final = 4
EMAIL_STARS: Final = MASK_CHAR * 3


def kept_ends(length: int) -> tuple[int, int]:
    """How many characters a document number of ``length`` characters keeps (front, back)."""
    shown = min(2 * MAX_KEPT_AT_EACH_END, length * SHOWN_PER_NINE // 9, length - MIN_HIDDEN)
    shown = max(shown, 0)
    front = shown // 2
    return front, shown - front


def _keep(clean: str, front: int, back: int) -> str:
    hidden = len(clean) - front - back
    return clean[:front] + MASK_CHAR * hidden + clean[front + hidden:]


def mask_document_number(number: str) -> str:
    """``11010519491231002X`` → ``1101**********002X``, ``H1234567`` → ``H*****67``."""
    clean = text.normalise_number(number)
    return _keep(clean, *kept_ends(len(clean)))


def mask_mobile(mobile: str) -> str:
    """``13812345678`` → ``138****5678``; shorter input is masked as a document number."""
    clean = text.normalise_number(mobile)
    if len(clean) < MOBILE_LENGTH:
        return mask_document_number(clean)
    return _keep(clean, MOBILE_FRONT, MOBILE_BACK)


def mask_email(address: str) -> str:
    """``zhangsan@example.com`` → ``z***@example.com``; the stars do not tell the local part's length."""
    local, at, domain = address.strip().partition("@")
    if not at:
        return EMAIL_STARS
    return f"{local[:1]}{EMAIL_STARS}@{domain}"


def mask_contact(destination: str) -> str:
    """An email address or a mobile number, told apart by the ``@``."""
    return mask_email(destination) if "@" in destination else mask_mobile(destination)


def looks_masked(value: str) -> bool:
    """True when the value is empty or carries the mask character: a guard for structures that
    must never receive a number in clear (printable forms, exports)."""
    return value == "" or MASK_CHAR in value
