"""Sealing a value for another service: AES-256-GCM with a key both sides are configured with.

Used where an event must carry personal data to one consumer (a phone number for the SMS that
sends a code), so that the broker, its logs and any other consumer see only ciphertext.
The token names its key id, so keys rotate: seal with the newest, open with any configured.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DEV_KEYS = "dev1:ZGV2LW9ubHktc2VhbGluZy1rZXktMzItYnl0ZXMhISE="  # 32 bytes, for development only


class SealError(ValueError):
    """The token is malformed, was made with an unknown key or was altered."""


def parse_keys(keys: str) -> dict[str, bytes]:
    """``id:base64,id:base64`` → {key id: 32 key bytes}, in order (the first seals). Settings call it
    too, so a malformed key is refused when the service loads its settings, not at the first use."""
    parsed: dict[str, bytes] = {}
    for item in filter(None, (k.strip() for k in keys.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id.strip():
            raise ValueError("keys look like <key id>:<base64 of 32 bytes>[,…]")
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            raise ValueError(f"key {key_id.strip()!r} is not valid base64") from None
        if len(raw) != 32:
            raise ValueError(f"sealing key {key_id.strip()!r} must be 32 bytes")
        parsed[key_id.strip()] = raw
    if not parsed:
        raise ValueError("no sealing key configured")
    return parsed


class Sealer:
    def __init__(self, keys: str, purpose: str) -> None:
        """``keys``: ``id:base64,id:base64`` — the first seals, all open. ``purpose`` binds a
        token to its use, so a token sealed for one field cannot be replayed as another."""
        self._keys = {key_id: AESGCM(raw) for key_id, raw in parse_keys(keys).items()}
        self._primary = next(iter(self._keys))
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
