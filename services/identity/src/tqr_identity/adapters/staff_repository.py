"""Staff accounts: roles scoped to an organisation, a password hash and an encrypted TOTP secret."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_identity.adapters import orm
from tqr_identity.adapters.account_crypto import AccountCrypto
from tqr_identity.service_layer.model import StaffAccount

TABLE = "staff_accounts"


class StaffRepository:
    def __init__(self, crypto: AccountCrypto) -> None:
        self.crypto = crypto

    async def add(self, session: AsyncSession, staff: StaffAccount, created_at: Any) -> None:
        await session.execute(
            insert(orm.staff_accounts).values(
                id=staff.id,
                username=staff.username.strip().lower(),
                display_name=staff.display_name,
                password_hash=staff.password_hash,
                totp_secret_enc=self.crypto.seal(TABLE, staff.id, "totp_secret", staff.totp_secret),
                roles=",".join(staff.roles),
                organisation_code=staff.organisation_code,
                active=staff.active,
                created_at=created_at,
                **self._enrolment_values(staff),
            )
        )

    async def save(self, session: AsyncSession, staff: StaffAccount) -> None:
        """Everything an administrator or the enrolment may change; the username never changes."""
        await session.execute(
            orm.staff_accounts.update().where(orm.staff_accounts.c.id == staff.id).values(
                display_name=staff.display_name,
                password_hash=staff.password_hash,
                totp_secret_enc=self.crypto.seal(TABLE, staff.id, "totp_secret", staff.totp_secret),
                roles=",".join(staff.roles),
                organisation_code=staff.organisation_code,
                active=staff.active,
                **self._enrolment_values(staff),
            )
        )

    async def get_for_update(self, session: AsyncSession, staff_id: str) -> StaffAccount | None:
        c = orm.staff_accounts.c
        row = (await session.execute(select(orm.staff_accounts).where(c.id == staff_id).with_for_update())
               ).mappings().first()
        return self._staff(row) if row else None

    async def list_all(self, session: AsyncSession) -> list[StaffAccount]:
        """Every staff account by username; the service layer keeps those the caller may see."""
        rows = (await session.execute(select(orm.staff_accounts).order_by(orm.staff_accounts.c.username))).mappings()
        return [self._staff(row) for row in rows]

    @staticmethod
    def _enrolment_values(staff: StaffAccount) -> dict[str, Any]:
        return {
            "must_enrol": staff.must_enrol,
            "setup_code_hash": staff.setup_code_hash,
            "setup_code_expires_at": staff.setup_code_expires_at,
            "recovery_code_hashes": ",".join(staff.recovery_code_hashes),
        }

    async def by_username(self, session: AsyncSession, username: str) -> StaffAccount | None:
        row = (
            await session.execute(
                select(orm.staff_accounts).where(orm.staff_accounts.c.username == username.strip().lower())
            )
        ).mappings().first()
        return self._staff(row) if row else None

    async def get(self, session: AsyncSession, staff_id: str) -> StaffAccount | None:
        row = (
            await session.execute(select(orm.staff_accounts).where(orm.staff_accounts.c.id == staff_id))
        ).mappings().first()
        return self._staff(row) if row else None

    async def display_name(self, session: AsyncSession, staff_id: str) -> str | None:
        c = orm.staff_accounts.c
        return await session.scalar(select(c.display_name).where(c.id == staff_id, c.active.is_(True)))

    async def update_password_hash(self, session: AsyncSession, staff_id: str, password_hash: str) -> None:
        await session.execute(
            orm.staff_accounts.update().where(orm.staff_accounts.c.id == staff_id).values(password_hash=password_hash)
        )

    def _staff(self, row: Any) -> StaffAccount:
        return StaffAccount(
            id=row["id"],
            username=row["username"],
            display_name=row["display_name"],
            password_hash=row["password_hash"],
            totp_secret=self.crypto.open(TABLE, row["id"], "totp_secret", row["totp_secret_enc"]),
            roles=tuple(r for r in row["roles"].split(",") if r),
            organisation_code=row["organisation_code"],
            active=bool(row["active"]),
            must_enrol=bool(row["must_enrol"]),
            setup_code_hash=row["setup_code_hash"],
            setup_code_expires_at=row["setup_code_expires_at"],
            recovery_code_hashes=tuple(h for h in row["recovery_code_hashes"].split(",") if h),
        )
