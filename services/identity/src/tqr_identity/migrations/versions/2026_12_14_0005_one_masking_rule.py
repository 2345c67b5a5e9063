"""Stored masked document numbers follow the one masking rule (``servicekit.masking``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-14

``accounts.masked_document_number`` was written with identity's own rule (4 + 4 characters from
12 characters on, a quarter at each end below), so an 8-character permit showed half of itself
(``12****78``) on every page while other screens showed the same number otherwise. The one rule
keeps, for every length, only characters the old rule kept too, so the new form is computed from
the stored masked value itself: no number is decrypted. 18-character numbers (ID cards, residence
permits) and the 9- to 11-character HK/Macao permits keep the form they had.

The rule is frozen here as it was written (18: 4 + 4, 16–17: 3 + 4, 14–15: 3 + 3, 12–13: 2 + 3,
9–11: 2 + 2, 8: 1 + 2, 7: 1 + 1, 6: 0 + 1, shorter: nothing), not imported. Downgrading leaves the
values as they are: the characters hidden now are not stored anywhere in clear to bring back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCOUNTS = sa.table("accounts", sa.column("id", sa.String), sa.column("masked_document_number", sa.String))
_UNCHANGED_LENGTHS = (9, 10, 11, 18)


def _kept_ends(length: int) -> tuple[int, int]:
    shown = max(0, min(8, length * 4 // 9, length - 5))
    return shown // 2, shown - shown // 2


def _remasked(masked: str) -> str:
    front, back = _kept_ends(len(masked))
    hidden = len(masked) - front - back
    return masked[:front] + "*" * hidden + masked[front + hidden:]


def upgrade() -> None:
    connection = op.get_bind()
    length = sa.func.length(_ACCOUNTS.c.masked_document_number)
    rows = connection.execute(
        sa.select(_ACCOUNTS.c.id, _ACCOUNTS.c.masked_document_number).where(length.not_in(_UNCHANGED_LENGTHS))
    ).all()
    changed = [{"account_id": row.id, "masked": _remasked(row.masked_document_number)} for row in rows
               if _remasked(row.masked_document_number) != row.masked_document_number]
    if changed:
        connection.execute(
            sa.update(_ACCOUNTS).where(_ACCOUNTS.c.id == sa.bindparam("account_id"))
            .values(masked_document_number=sa.bindparam("masked")),
            changed,
        )


def downgrade() -> None:
    pass
