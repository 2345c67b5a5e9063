"""Migration 0005 on accounts registered under identity's earlier masking rule: every stored masked
document number becomes what ``servicekit.masking`` makes of the full number (R-WIZ-8's masked
form on every page), computed from the stored value alone — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import tqr_identity
from servicekit import db, migrations
from servicekit.masking import mask_document_number
from tqr_identity.adapters import orm

MIGRATIONS = Path(tqr_identity.__file__).parent / "migrations"
AT = datetime(2026, 3, 1, tzinfo=UTC)
# One number of every length an account could hold, and a few no check lets in (the rule covers them).
NUMBERS = ["12345678", "H12345678", "H1234567801", "11010519491231002X", "1234567", "123456", "12345",
           "123456789012", "1234567890123", "12345678901234", "123456789012345", "1234567890123456",
           "12345678901234567"]


def masked_before_0005(number: str) -> str:
    """What identity stored until revision 0005: 4 + 4 from 12 characters, a quarter at each end below."""
    keep = 4 if len(number) >= 12 else len(number) // 4
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[len(number) - keep:] if keep else "*" * len(number)


def account(index: int, number: str) -> dict:
    return {
        "id": f"acc-{index}", "document_type": "TW_PERMIT", "document_number_enc": "sealed",
        "document_index": f"{index:064d}", "masked_document_number": masked_before_0005(number), "name": "张老师",
        "mobile_enc": "sealed", "mobile_index": f"{index:064d}", "email_enc": "sealed", "password_hash": "x",
        "agreement_version": "2026-01", "agreement_accepted_at": AT, "real_name_status": "UNVERIFIED",
        "created_at": AT, "updated_at": AT,
    }


async def test_r_wiz_8_migration_remasks_stored_document_numbers_by_the_one_rule(db_url) -> None:
    migrations.upgrade(MIGRATIONS, db_url, "0004")
    engine = db.create_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.insert(orm.accounts), [account(i, n) for i, n in enumerate(NUMBERS)])
        migrations.upgrade(MIGRATIONS, db_url)
        async with engine.connect() as connection:
            rows = (await connection.execute(sa.select(orm.accounts.c.id, orm.accounts.c.masked_document_number)))
            stored = {row.id: row.masked_document_number for row in rows}
    finally:
        await engine.dispose()
    assert stored == {f"acc-{i}": mask_document_number(n) for i, n in enumerate(NUMBERS)}
    assert stored["acc-0"] == "1*****78"  # was 12****78: half of the permit
