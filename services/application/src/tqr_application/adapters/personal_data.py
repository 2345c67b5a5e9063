"""Identity document numbers at rest: sealed for reading back, blind-indexed for look-ups.

The blind index is an HMAC of the normalised number under its own key, so the database can answer
"which rows have this number" without holding the number in clear; the sealed copy (AES-GCM via
``servicekit.sealing``) is what the form and the registry match read back.
"""

from __future__ import annotations

import hashlib
import hmac

from servicekit import text
from servicekit.sealing import Sealer

SEAL_PURPOSE = "tqr.application.document-number"


def normalise_document_number(number: str) -> str:
    """R-WIZ-11: the one normalisation of typed numbers (``servicekit.text.normalise_number``), so
    that a number typed with full-width digits has the same blind index as the same number in ASCII."""
    return text.normalise_number(number)


class DocumentNumberCipher:
    def __init__(self, sealing_keys: str, blind_index_key: str) -> None:
        if len(blind_index_key) < 16:
            raise ValueError("the blind index key must be at least 16 characters")
        self._sealer = Sealer(sealing_keys, SEAL_PURPOSE)
        self._index_key = blind_index_key.encode()

    def seal(self, number: str) -> str:
        return self._sealer.seal(normalise_document_number(number))

    def open(self, sealed: str) -> str:
        return self._sealer.open(sealed)

    def index(self, number: str) -> str:
        digest = hmac.new(self._index_key, normalise_document_number(number).encode(), hashlib.sha256)
        return digest.hexdigest()
