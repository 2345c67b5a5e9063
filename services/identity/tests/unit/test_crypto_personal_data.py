"""Encryption at rest of document and phone numbers, with key rotation and a blind index."""

from __future__ import annotations

import base64

import pytest
from tqr_identity.adapters.crypto.personal_data import (
    PersonalDataCipher,
    PersonalDataError,
    generate_key,
    parse_keyring,
)

K1, K2, INDEX = generate_key(), generate_key(), generate_key()
PLAIN = "11010519491231002X"
AD = "account:42:document_number"


def cipher(keys: str, primary: str, index: str = INDEX) -> PersonalDataCipher:
    return PersonalDataCipher.from_config(keys, primary, index)


def test_generate_key_gives_distinct_32_byte_keys() -> None:
    assert len(base64.b64decode(K1)) == 32
    assert K1 != K2


def test_round_trip_and_token_format() -> None:
    box = cipher(f"k1:{K1}", "k1")
    token = box.encrypt(PLAIN, AD)
    assert token.startswith("v1:k1:")
    assert PLAIN not in token
    assert box.decrypt(token, AD) == PLAIN
    assert box.encrypt(PLAIN, AD) != token  # random nonce: equal values do not look equal
    assert box.decrypt(box.encrypt("", AD), AD) == ""
    assert box.decrypt(box.encrypt("港澳 H12345678", b"x"), b"x") == "港澳 H12345678"


def test_rotation_old_tokens_still_decrypt_and_are_flagged() -> None:
    old = cipher(f"k1:{K1}", "k1")
    token = old.encrypt(PLAIN, AD)
    rotated = cipher(f"k1:{K1}, k2:{K2}", "k2")
    assert rotated.decrypt(token, AD) == PLAIN
    assert rotated.needs_reencrypt(token)
    fresh = rotated.reencrypt(token, AD)
    assert fresh.startswith("v1:k2:")
    assert not rotated.needs_reencrypt(fresh)
    assert rotated.decrypt(fresh, AD) == PLAIN
    assert not old.needs_reencrypt(token)


def test_a_retired_key_cannot_decrypt() -> None:
    token = cipher(f"k1:{K1}", "k1").encrypt(PLAIN, AD)
    with pytest.raises(PersonalDataError, match="not in the keyring"):
        cipher(f"k2:{K2}", "k2").decrypt(token, AD)


def test_tampering_fails() -> None:
    box = cipher(f"k1:{K1}", "k1")
    token = box.encrypt(PLAIN, AD)
    prefix, payload = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload))
    for position in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        flipped = bytearray(raw)
        flipped[position] ^= 0x01
        forged = f"{prefix}:{base64.urlsafe_b64encode(bytes(flipped)).decode()}"
        with pytest.raises(PersonalDataError) as caught:
            box.decrypt(forged, AD)
        assert PLAIN not in str(caught.value)


def test_token_moved_to_another_row_fails() -> None:
    box = cipher(f"k1:{K1}", "k1")
    token = box.encrypt(PLAIN, AD)
    with pytest.raises(PersonalDataError):
        box.decrypt(token, "account:43:document_number")


def test_relabelled_key_id_fails() -> None:
    box = cipher(f"k1:{K1},k2:{K2}", "k1")
    token = box.encrypt(PLAIN, AD)
    with pytest.raises(PersonalDataError):
        box.decrypt(token.replace("v1:k1:", "v1:k2:"), AD)


@pytest.mark.parametrize("token", ["", "v2:k1:AAAA", "v1::AAAA", "v1:k1:", "v1:k1:!!!", "v1:k1:AAAA"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(PersonalDataError):
        cipher(f"k1:{K1}", "k1").decrypt(token, AD)


def test_lookup_hash_is_deterministic_keyed_and_differs_per_kind() -> None:
    box = cipher(f"k1:{K1}", "k1")
    first = box.lookup_hash("document:ID_CARD", PLAIN)
    assert first == box.lookup_hash("document:ID_CARD", PLAIN)
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != box.lookup_hash("document:TW_RESIDENCE", PLAIN)
    assert first != box.lookup_hash("document:ID_CARD", "11010519491231002Y")
    # Independent of which encryption key is primary, so rotation keeps the index ...
    assert first == cipher(f"k1:{K1},k2:{K2}", "k2").lookup_hash("document:ID_CARD", PLAIN)
    # ... but it depends on the index key.
    assert first != cipher(f"k1:{K1}", "k1", generate_key()).lookup_hash("document:ID_CARD", PLAIN)
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert box.lookup_hash("ab", "c") != box.lookup_hash("a", "bc")


def test_parse_keyring() -> None:
    assert parse_keyring(f" k1:{K1} , k2:{K2},") == {
        "k1": base64.b64decode(K1),
        "k2": base64.b64decode(K2),
    }


@pytest.mark.parametrize(
    "config",
    [
        "",
        f"{K1}",
        f"k1:{K1},k1:{K2}",
        "k1:not base64!",
        f"k1:{base64.b64encode(b'short').decode()}",
        f"k 1:{K1}",
    ],
)
def test_parse_keyring_refuses_bad_configuration(config: str) -> None:
    with pytest.raises(PersonalDataError):
        parse_keyring(config)


def test_configuration_errors_are_caught_at_start_up() -> None:
    with pytest.raises(PersonalDataError, match="primary"):
        cipher(f"k1:{K1}", "k2")
    with pytest.raises(PersonalDataError, match="index key"):
        cipher(f"k1:{K1}", "k1", base64.b64encode(b"too short").decode())
    with pytest.raises(PersonalDataError, match="differ"):
        cipher(f"k1:{K1}", "k1", K1)


def test_bytes_round_trip_with_the_key_id_beside_the_blob_and_rotation() -> None:
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    old = cipher(f"k1:{K1}", "k1")
    key_id, blob = old.encrypt_bytes(photo, AD)
    assert key_id == "k1" and photo[8:64] not in blob
    assert old.decrypt_bytes(key_id, blob, AD) == photo
    rotated = cipher(f"k2:{K2},k1:{K1}", "k2")
    assert rotated.decrypt_bytes(key_id, blob, AD) == photo
    assert rotated.encrypt_bytes(photo, AD)[0] == "k2"


@pytest.mark.parametrize("spoil", ["other place", "flipped bit", "unknown key", "truncated"])
def test_bytes_that_were_moved_altered_or_cut_do_not_open(spoil: str) -> None:
    box = cipher(f"k1:{K1}", "k1")
    key_id, blob = box.encrypt_bytes(b"photo bytes", AD)
    place = AD
    if spoil == "other place":
        place = "account:43:document_number"
    elif spoil == "flipped bit":
        blob = blob[:-1] + bytes([blob[-1] ^ 1])
    elif spoil == "unknown key":
        key_id = "k9"
    else:
        blob = blob[:20]
    with pytest.raises(PersonalDataError):
        box.decrypt_bytes(key_id, blob, place)
