"""Accounts in the database: sealed on the way in, opened on the way out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_identity.adapters import orm
from tqr_identity.adapters.account_crypto import AccountCrypto
from tqr_identity.domain.documents import DocumentType, Gender
from tqr_identity.service_layer.model import Account, RealNameStatus

TABLE = "accounts"
_CHANGED = "tqr.changed_accounts"


def changed_accounts(session: AsyncSession) -> set[str]:
    """Ids of the accounts this unit of work wrote; announced once it commits (IdentityContext)."""
    changed: set[str] = session.info.setdefault(_CHANGED, set())
    return changed


def aware(instant: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything is written in UTC."""
    if instant is None or instant.tzinfo is not None:
        return instant
    return instant.replace(tzinfo=UTC)


class AccountRepository:
    def __init__(self, crypto: AccountCrypto) -> None:
        self.crypto = crypto

    def _sealed_contacts(self, account_id: str, *, mobile: str | None = None,
                         email: str | None = None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if mobile is not None:
            values["mobile_enc"] = self.crypto.seal(TABLE, account_id, "mobile", mobile)
            values["mobile_index"] = self.crypto.mobile_index(mobile)
        if email is not None:
            values["email_enc"] = self.crypto.seal(TABLE, account_id, "email", email)
        return values

    async def add(self, session: AsyncSession, account: Account) -> None:
        """Insert; a second account of the same document fails with IntegrityError (R-ID-2)."""
        await session.execute(
            insert(orm.accounts).values(
                id=account.id,
                document_type=account.document_type.value,
                document_number_enc=self.crypto.seal(TABLE, account.id, "document_number", account.document_number),
                document_index=self.crypto.document_index(account.document_number),
                masked_document_number=account.masked_document_number,
                name=account.name,
                password_hash=account.password_hash,
                agreement_version=account.agreement_version,
                agreement_accepted_at=account.agreement_accepted_at,
                real_name_status=account.real_name_status.value,
                gender=account.gender.value if account.gender else None,
                birth_date=account.birth_date,
                created_at=account.created_at,
                updated_at=account.updated_at,
                **self._sealed_contacts(account.id, mobile=account.mobile, email=account.email),
            )
        )

    async def exists(self, session: AsyncSession, document_type: DocumentType, number: str) -> bool:
        found = await session.scalar(
            select(orm.accounts.c.id).where(
                orm.accounts.c.document_type == document_type.value,
                orm.accounts.c.document_index == self.crypto.document_index(number),
            )
        )
        return found is not None

    async def by_document(
        self, session: AsyncSession, document_type: DocumentType, number: str, *, for_update: bool = False
    ) -> Account | None:
        query = select(orm.accounts).where(
            orm.accounts.c.document_type == document_type.value,
            orm.accounts.c.document_index == self.crypto.document_index(number),
        )
        if for_update:
            query = query.with_for_update()
        row = (await session.execute(query)).mappings().first()
        return self._account(row) if row else None

    async def get(self, session: AsyncSession, account_id: str, *, for_update: bool = False) -> Account | None:
        query = select(orm.accounts).where(orm.accounts.c.id == account_id)
        if for_update:
            query = query.with_for_update()
        row = (await session.execute(query)).mappings().first()
        return self._account(row) if row else None

    async def summary(self, session: AsyncSession, account_id: str) -> tuple[str, str, str] | None:
        """(name, masked document number, real-name status) without decrypting anything."""
        c = orm.accounts.c
        row = (
            await session.execute(
                select(c.name, c.masked_document_number, c.real_name_status).where(c.id == account_id)
            )
        ).first()
        return (row.name, row.masked_document_number, row.real_name_status) if row else None

    async def save(self, session: AsyncSession, account: Account, *, contacts_changed: bool = False) -> None:
        """Write the mutable fields back (contacts are sealed again only when they changed)."""
        values: dict[str, Any] = {
            "name": account.name,
            "password_hash": account.password_hash,
            "real_name_status": account.real_name_status.value,
            "real_name_checked_at": account.real_name_checked_at,
            "gender": account.gender.value if account.gender else None,
            "birth_date": account.birth_date,
            "ethnicity": account.ethnicity or None,
            "document_valid_from": account.document_valid_from,
            "document_valid_until": account.document_valid_until or None,
            "updated_at": account.updated_at,
        }
        if contacts_changed:
            values.update(self._sealed_contacts(account.id, mobile=account.mobile, email=account.email))
        await session.execute(update(orm.accounts).where(orm.accounts.c.id == account.id).values(**values))
        changed_accounts(session).add(account.id)

    def _account(self, row: Any) -> Account:
        account_id = row["id"]
        return Account(
            id=account_id,
            document_type=DocumentType(row["document_type"]),
            document_number=self.crypto.open(TABLE, account_id, "document_number", row["document_number_enc"]),
            masked_document_number=row["masked_document_number"],
            name=row["name"],
            mobile=self.crypto.open(TABLE, account_id, "mobile", row["mobile_enc"]),
            email=self.crypto.open(TABLE, account_id, "email", row["email_enc"]),
            password_hash=row["password_hash"],
            agreement_version=row["agreement_version"],
            agreement_accepted_at=aware(row["agreement_accepted_at"]),  # type: ignore[arg-type]
            real_name_status=RealNameStatus(row["real_name_status"]),
            real_name_checked_at=aware(row["real_name_checked_at"]),
            created_at=aware(row["created_at"]),  # type: ignore[arg-type]
            updated_at=aware(row["updated_at"]),  # type: ignore[arg-type]
            gender=Gender(row["gender"]) if row["gender"] else None,
            birth_date=row["birth_date"],
            ethnicity=row["ethnicity"] or "",
            document_valid_from=row["document_valid_from"],
            document_valid_until=row["document_valid_until"] or "",
        )
