"""Sealing a value for another service: AES-256-GCM with a key both sides are configured with.

Used where an event must carry personal data to one consumer (a phone number for the SMS that
sends a code), so that the broker, its logs and any other consumer see only ciphertext.
The token names its key id, so keys rotate: seal with the newest, open with any configured.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DEV_KEYS = "dev1:ZGV2LW9ubHktc2VhbGluZy1rZXktMzItYnl0ZXMhISE="  # 32 bytes, for development only


class SealError(ValueError):
    """The token is malformed, was made with an unknown key or was altered."""


class Sealer:
    def __init__(self, keys: str, purpose: str) -> None:
        """``keys``: ``id:base64,id:base64`` — the first seals, all open. ``purpose`` binds a
        token to its use, so a token sealed for one field cannot be replayed as another."""
        self._keys: dict[str, AESGCM] = {}
        self._primary = ""
        for item in filter(None, (k.strip() for k in keys.split(","))):
            key_id, _, encoded = item.partition(":")
            raw = base64.b64decode(encoded)
            if len(raw) != 32:
                raise ValueError(f"sealing key {key_id!r} must be 32 bytes")
            self._keys[key_id] = AESGCM(raw)
            self._primary = self._primary or key_id
        if not self._keys:
            raise ValueError("no sealing key configured")
        self._aad = purpose.encode()

    def seal(self, plain: str) -> str:
        nonce = os.urandom(12)
        data = self._keys[self._primary].encrypt(nonce, plain.encode(), self._aad)
        return f"{self._primary}:{base64.urlsafe_b64encode(nonce + data).decode()}"

    def open(self, token: str) -> str:
        key_id, _, body = token.partition(":")
        key = self._keys.get(key_id)
        if key is None or not body:
            raise SealError("sealed value uses an unknown key")
        try:
            raw = base64.urlsafe_b64decode(body)
            return key.decrypt(raw[:12], raw[12:], self._aad).decode()
        except (InvalidTag, ValueError) as exc:
            raise SealError("sealed value was altered or is malformed") from exc
