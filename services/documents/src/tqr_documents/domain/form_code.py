"""The form code: a QR printed on the application form that staff scan at the confirmation point.

Format (all upper case, so that the QR uses its compact alphanumeric mode)::

    TQR1.<key id>.<application number>.<form version>.<MAC>

* key id: which key of the keyring signed it, so keys can rotate while printed forms stay valid;
* form version: the first 8 hex digits of ``ApplicationForm.content_hash()``, so staff can tell a
  printout made before the applicant's last edit from the current one;
* MAC: HMAC-SHA256 over ``TQR1|key id|application number|form version``, truncated to 16 bytes and
  written in unpadded base32.

A code only proves that this system printed it for that application; it is not a secret and gives
access to nothing. Staff still look the application up and compare it with the person (R-STAFF-2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.errors import FieldProblem, InvalidInput

from tqr_documents.domain.form import ApplicationForm

FORMAT_TAG = "TQR1"
MAC_BYTES = 16
MIN_KEY_BYTES = 32
FORM_VERSION_LENGTH = 8

_KEY_ID = re.compile(r"[A-Z0-9]{1,8}")
_CODE = re.compile(
    r"TQR1\.(?P<kid>[A-Z0-9]{1,8})\.(?P<app>[0-9A-Z-]{1,40})\.(?P<ver>[0-9A-F]{8})\.(?P<mac>[A-Z2-7]{26})"
)


class FormCodeRejected(InvalidInput):
    """The scanned text is not a genuine form code (altered, forged, or signed by an unknown key)."""

    def __init__(self) -> None:
        super().__init__(
            [
                FieldProblem(
                    field="code",
                    code="FORM_CODE_INVALID",
                    message_zh="申请表二维码无效：不是本系统打印的申请表，或已被改动",
                    message_en="The form code is not genuine: not printed by this system, or altered",
                )
            ],
            code="R-STAFF-2",
            message_zh="无法识别该申请表二维码，请改用报名号或证件号码查找",
            message_en="The form code could not be verified; search by application or document number",
        )


@dataclass(frozen=True)
class VerifiedFormCode:
    application_number: str
    form_version: str  # compare with form_version_of(current form) to spot an outdated printout
    key_id: str


def form_version_of(form: ApplicationForm) -> str:
    return form.content_hash()[:FORM_VERSION_LENGTH].upper()


class FormCodeSigner:
    """Signs and verifies form codes with a keyring ``{key id: secret}``.

    Rotation: add the new key and make it ``current_key_id``; keep the old key in the ring until
    every form printed with it has been confirmed, then drop it.
    """

    def __init__(self, keys: Mapping[str, bytes], current_key_id: str) -> None:
        for key_id, secret in keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError("key ids are 1-8 upper-case letters or digits")
            if len(secret) < MIN_KEY_BYTES:
                raise ValueError(f"form code keys need at least {MIN_KEY_BYTES} bytes")
        if current_key_id not in keys:
            raise ValueError("current_key_id is not in the keyring")
        self._keys = dict(keys)
        self._current = current_key_id

    def sign(self, application_number: str, form_version: str, key_id: str | None = None) -> str:
        kid = key_id or self._current
        if kid not in self._keys:
            raise ValueError("unknown key id")
        app = application_number
        version = form_version.upper()
        text = f"{FORMAT_TAG}.{kid}.{app}.{version}.{self._mac(kid, app, version)}"
        if not _CODE.fullmatch(text):
            raise ValueError("application number or form version cannot be encoded in a form code")
        return text

    def sign_form(self, form: ApplicationForm) -> str:
        return self.sign(form.application_number, form_version_of(form))

    def verify(self, text: str) -> VerifiedFormCode:
        """Returns what the code names, or raises ``FormCodeRejected``; never says which part failed."""
        # Hand scanners often append a newline; anything else must match exactly.
        match = _CODE.fullmatch(text.strip())
        if match is None:
            raise FormCodeRejected()
        kid, app, version, mac = match.group("kid", "app", "ver", "mac")
        secret_known = kid in self._keys
        # Compare the encoded text, not decoded bytes: base32's last character has spare bits, and
        # decoding would accept two spellings of one MAC.
        expected = self._mac(kid, app, version) if secret_known else "A" * len(mac)
        if not (hmac.compare_digest(expected, mac) and secret_known):
            raise FormCodeRejected()
        return VerifiedFormCode(application_number=app, form_version=version, key_id=kid)

    def _mac(self, kid: str, application_number: str, form_version: str) -> str:
        message = f"{FORMAT_TAG}|{kid}|{application_number}|{form_version}".encode("ascii")
        digest = hmac.new(self._keys[kid], message, hashlib.sha256).digest()[:MAC_BYTES]
        return base64.b32encode(digest).decode("ascii").rstrip("=")
