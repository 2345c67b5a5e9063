"""AES-256-GCM for the files of the form cache: a rendered form prints the applicant's full
document number (and a Word file hides it inside a zip, where a plain scan of the disk misses it).

Keyring ``"id:base64,id:base64"``: the first key seals, every key opens, so keys rotate (an entry
sealed with a key that left the ring no longer opens, which for a cache only means it is rendered
again). A sealed entry is ``len(key id) | key id | nonce | ciphertext+tag``; the associated data is
the entry's name, so a file copied under another name does not open.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class CacheCipherError(ValueError):
    """A sealed entry does not open (damaged, another entry's, or its key left the keyring), or a
    key is malformed. Messages never hold key material."""


def parse_keyring(text: str) -> dict[str, bytes]:
    """``"k2:base64,k1:base64"`` → {key id: 32 key bytes}, in the order given (the first seals)."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, sep, encoded = item.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise CacheCipherError("cache_keys entries look like <key id>:<base64 key>, key ids [A-Za-z0-9_-]")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            raise CacheCipherError(f"cache_keys: key {key_id} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise CacheCipherError(f"cache_keys: key {key_id} must decode to {KEY_BYTES} bytes, not {len(key)}")
        keys[key_id] = key
    if not keys:
        raise CacheCipherError("cache_keys needs at least one key")
    return keys


class CacheCipher:
    def __init__(self, keys: dict[str, bytes]) -> None:
        self._aeads = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._primary = next(iter(keys))

    @classmethod
    def from_config(cls, text: str) -> CacheCipher:
        return cls(parse_keyring(text))

    def seal(self, data: bytes, name: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        key_id = self._primary.encode("ascii")
        return bytes([len(key_id)]) + key_id + nonce + self._aeads[self._primary].encrypt(nonce, data, name.encode())

    def open(self, sealed: bytes, name: str) -> bytes:
        if not sealed:
            raise CacheCipherError("empty entry")
        end = 1 + sealed[0]
        aead = self._aeads.get(sealed[1:end].decode("ascii", errors="replace"))
        if aead is None:
            raise CacheCipherError("entry sealed with a key that is not in the keyring")
        body = sealed[end:]
        if len(body) < NONCE_BYTES + TAG_BYTES:
            raise CacheCipherError("entry is truncated")
        try:
            return aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], name.encode())
        except InvalidTag:
            raise CacheCipherError("entry is damaged or belongs to another name") from None
