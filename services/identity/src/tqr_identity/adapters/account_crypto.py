"""Where each personal value of the identity database is sealed, and how it is looked up.

Every ciphertext is bound (AES-GCM associated data) to its table, row and column, so a value
copied into another row does not decrypt. Blind indexes use a separate ``kind`` per field so the
same digits as a document number and as a phone number do not link.
"""

from __future__ import annotations

from tqr_identity.adapters.crypto.personal_data import PersonalDataCipher
from tqr_identity.domain.documents import DocumentType


def index_key_from_setting(value: str) -> str:
    """``"[label:]base64"`` → the base64 part (the label lets dev values carry ``dev-only-``)."""
    return value.rpartition(":")[2].strip()


class AccountCrypto:
    def __init__(self, cipher: PersonalDataCipher) -> None:
        self.cipher = cipher

    @classmethod
    def from_settings(cls, keys: str, primary_key_id: str, index_key: str) -> AccountCrypto:
        return cls(PersonalDataCipher.from_config(keys, primary_key_id, index_key_from_setting(index_key)))

    # --- blind indexes ----------------------------------------------------------------------

    def document_index(self, number: str) -> str:
        """Index of a normalised document number; the type is a separate column (R-ID-2)."""
        return self.cipher.lookup_hash("document-number", number)

    def mobile_index(self, mobile: str) -> str:
        return self.cipher.lookup_hash("mobile", mobile)

    def login_key(self, document_type: DocumentType | str, number: str) -> str:
        """Throttle key of a sign-in (R-ID-8): the same whether or not the account exists."""
        return self.cipher.lookup_hash("login", f"{document_type}|{number}")

    def staff_login_key(self, username: str) -> str:
        return self.cipher.lookup_hash("staff-login", username.strip().lower())

    # --- sealed columns ---------------------------------------------------------------------

    def seal(self, table: str, row_id: str, column: str, plain: str) -> str:
        return self.cipher.encrypt(plain, f"{table}:{row_id}:{column}")

    def open(self, table: str, row_id: str, column: str, token: str) -> str:
        return self.cipher.decrypt(token, f"{table}:{row_id}:{column}")

    def seal_optional(self, table: str, row_id: str, column: str, plain: str) -> str | None:
        return self.seal(table, row_id, column, plain) if plain else None

    def open_optional(self, table: str, row_id: str, column: str, token: str | None) -> str:
        return self.open(table, row_id, column, token) if token else ""
