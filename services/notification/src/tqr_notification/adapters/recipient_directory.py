"""The notification service's own directory of recipients: account id → email and mobile.

Built from identity's AccountRegistered and ContactDetailsChanged events so that sending never
has to call the identity service. Contacts are sealed at rest with this service's own keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_notification.adapters.orm import recipients
from tqr_notification.adapters.sealing import Sealers


@dataclass(frozen=True)
class Contact:
    email: str | None
    mobile: str | None


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def record_contact(
    session: AsyncSession,
    sealers: Sealers,
    account_id: str,
    *,
    email: str | None,
    mobile: str | None,
    as_of: datetime,
    now: datetime,
) -> bool:
    """Keep the newer contact details; ``None`` leaves a field as it was. False when ``as_of`` is
    older than what we hold (an old event that arrived late)."""
    row = (await session.execute(select(recipients).where(recipients.c.account_id == account_id))).first()
    values: dict[str, object] = {"as_of": as_of, "updated_at": now}
    if email:
        values["email_sealed"] = sealers.at_rest.seal(email)
    if mobile:
        values["mobile_sealed"] = sealers.at_rest.seal(mobile)
    if row is None:
        await session.execute(insert(recipients).values(account_id=account_id, **values))
        return True
    if _aware(row.as_of) > as_of:
        return False
    await session.execute(update(recipients).where(recipients.c.account_id == account_id).values(**values))
    return True


async def contact_of(session: AsyncSession, sealers: Sealers, account_id: str) -> Contact | None:
    row = (await session.execute(select(recipients).where(recipients.c.account_id == account_id))).first()
    if row is None:
        return None
    return Contact(
        email=sealers.at_rest.open(row.email_sealed) if row.email_sealed else None,
        mobile=sealers.at_rest.open(row.mobile_sealed) if row.mobile_sealed else None,
    )


async def with_email(session: AsyncSession, account_ids: list[str]) -> set[str]:
    """Which of these accounts have an email address on file (one query for a page of them)."""
    if not account_ids:
        return set()
    found = await session.scalars(select(recipients.c.account_id).where(
        recipients.c.account_id.in_(account_ids), recipients.c.email_sealed.is_not(None)))
    return set(found.all())
