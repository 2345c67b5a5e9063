"""Encryption at rest of personal numbers (identity document and mobile numbers).

AES-256-GCM with a keyring: every token names the key that sealed it,
``v1:<key_id>:<base64url(nonce | ciphertext+tag)>``, so rows written before a key rotation still
decrypt, and ``needs_reencrypt`` finds the rows a background job should seal again with the
primary key. ``associated_data`` binds a token to its place (for example
``b"account:42:document_number"``) so a token copied into another row or column fails to decrypt.

Equality look-ups ("is this document number already registered?", R-ID-2) cannot use randomised
ciphertext, so each value also gets a blind index: HMAC-SHA256 under a separate index key over
``kind`` and the normalised value. The index key cannot be rotated without recomputing every
index, which is why it is kept apart from the encryption keys.

Configuration (from the service settings, never from code):
  keys     "k1:BASE64,k2:BASE64"  every key that may still be needed to decrypt
  primary  "k2"                   the key new tokens are sealed with (empty: the keyring's first)
  index    "BASE64"               the blind-index key
``generate_key()`` prints a fresh base64 key for operators.

Large binary values (photos of documents) are sealed without the text token's base64: the key id
goes in a column of its own and the ciphertext is ``nonce | ciphertext+tag`` (``encrypt_bytes``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOKEN_VERSION = "v1"  # noqa: S105 - a format tag, not a secret
KEY_BYTES = 32
NONCE_BYTES = 12
MIN_INDEX_KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class PersonalDataError(ValueError):
    """A token could not be opened (tampered, wrong place, unknown key) or a key is malformed.

    Messages never contain plaintext or key material.
    """


def generate_key() -> str:
    """A new random 32-byte key, base64-encoded, for the keyring or the index key."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def parse_keyring(config: str) -> dict[str, bytes]:
    """``"k1:BASE64,k2:BASE64"`` → ``{"k1": b"...", "k2": b"..."}``; every key must be 32 bytes."""
    keyring: dict[str, bytes] = {}
    for entry in (part.strip() for part in config.split(",")):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise PersonalDataError("keyring entries look like <key_id>:<base64 key>, key ids [A-Za-z0-9_-]")
        if key_id in keyring:
            raise PersonalDataError(f"key id {key_id!r} appears twice in the keyring")
        keyring[key_id] = _decode_key(encoded.strip(), f"key {key_id!r}", exact=KEY_BYTES)
    if not keyring:
        raise PersonalDataError("the keyring is empty")
    return keyring


class PersonalDataCipher:
    def __init__(self, keyring: Mapping[str, bytes], primary_key_id: str, index_key: bytes) -> None:
        if primary_key_id not in keyring:
            raise PersonalDataError(f"primary key id {primary_key_id!r} is not in the keyring")
        for key_id, key in keyring.items():
            if not _KEY_ID.fullmatch(key_id) or len(key) != KEY_BYTES:
                raise PersonalDataError(f"key {key_id!r} must have a plain id and be {KEY_BYTES} bytes")
        if len(index_key) < MIN_INDEX_KEY_BYTES:
            raise PersonalDataError(f"the index key must be at least {MIN_INDEX_KEY_BYTES} bytes")
        if index_key in keyring.values():
            raise PersonalDataError("the index key must differ from every encryption key")
        self._aeads = {key_id: AESGCM(key) for key_id, key in keyring.items()}
        self.primary_key_id = primary_key_id
        self._index_key = bytes(index_key)

    @classmethod
    def from_config(cls, keys: str, primary_key_id: str, index_key: str) -> PersonalDataCipher:
        keyring = parse_keyring(keys)
        return cls(keyring, primary_key_id.strip() or next(iter(keyring)), _decode_key(index_key.strip(), "index key"))

    def encrypt(self, plain: str, associated_data: bytes | str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aeads[self.primary_key_id].encrypt(
            nonce, plain.encode("utf-8"), _as_bytes(associated_data)
        )
        payload = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{TOKEN_VERSION}:{self.primary_key_id}:{payload}"

    def decrypt(self, token: str, associated_data: bytes | str) -> str:
        key_id, blob = self._parse(token)
        aead = self._aeads.get(key_id)
        if aead is None:
            raise PersonalDataError(f"token sealed with key {key_id!r}, which is not in the keyring")
        try:
            plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _as_bytes(associated_data))
        except InvalidTag:
            raise PersonalDataError(
                "token failed authentication: tampered with, or used in another place"
            ) from None
        return plain.decode("utf-8")

    def encrypt_bytes(self, plain: bytes, associated_data: bytes | str) -> tuple[str, bytes]:
        """(key id, nonce | ciphertext+tag): the key id is stored beside the blob, so rows sealed
        before a rotation still open and a rotation job finds them (``key_id != primary_key_id``)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aeads[self.primary_key_id].encrypt(nonce, plain, _as_bytes(associated_data))
        return self.primary_key_id, nonce + sealed

    def decrypt_bytes(self, key_id: str, blob: bytes, associated_data: bytes | str) -> bytes:
        aead = self._aeads.get(key_id)
        if aead is None:
            raise PersonalDataError(f"value sealed with key {key_id!r}, which is not in the keyring")
        if len(blob) < NONCE_BYTES + 16:  # nonce + GCM tag at least
            raise PersonalDataError("sealed value is truncated")
        try:
            return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _as_bytes(associated_data))
        except InvalidTag:
            raise PersonalDataError("sealed value failed authentication: tampered with, or used in another place"
                                    ) from None

    def needs_reencrypt(self, token: str) -> bool:
        """True when the token was not sealed with the current primary key (and format)."""
        key_id, _ = self._parse(token)
        return key_id != self.primary_key_id

    def reencrypt(self, token: str, associated_data: bytes | str) -> str:
        """The same value sealed again with the primary key (for a rotation job)."""
        return self.encrypt(self.decrypt(token, associated_data), associated_data)

    def lookup_hash(self, kind: str, normalised_value: str) -> str:
        """Deterministic keyed index (hex) for equality look-ups; differs per ``kind`` so the same
        digits used as a phone and as a document number do not link."""
        if not kind or "\x00" in kind:
            raise ValueError("kind must be a non-empty name without NUL")
        message = kind.encode("utf-8") + b"\x00" + normalised_value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    @staticmethod
    def _parse(token: str) -> tuple[str, bytes]:
        version, _, rest = token.partition(":")
        key_id, _, payload = rest.partition(":")
        if version != TOKEN_VERSION or not _KEY_ID.fullmatch(key_id) or not payload:
            raise PersonalDataError("not a personal-data token of a known version")
        try:
            blob = base64.urlsafe_b64decode(payload.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            raise PersonalDataError("personal-data token payload is not base64") from None
        if len(blob) < NONCE_BYTES + 16:  # nonce + GCM tag at least
            raise PersonalDataError("personal-data token is truncated")
        return key_id, blob


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _decode_key(encoded: str, what: str, exact: int | None = None) -> bytes:
    try:
        key = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise PersonalDataError(f"{what} is not valid base64") from None
    if exact is not None and len(key) != exact:
        raise PersonalDataError(f"{what} must decode to {exact} bytes, not {len(key)}")
    return key
