"""BENCH SET-UP ONLY: real-name-verified applicant accounts written straight into the identity database.

A load test needs hundreds of verified applicants. Registering each through the API needs an SMS
code and real-name verification, and the development identity authority only knows the demo
people; so this set-up step writes the accounts the way the identity service's own ``seed`` does
(its repository, its encryption and blind indexes, one shared password hash) and marks them
verified. It also stages ``ContactDetailsChanged`` for each, so the notification service learns
their email and mobile as it would after a registration, without sending a welcome message.

Run as ``python -m tools.loadtest.accounts COUNT OUT.json [FIRST_INDEX]`` with the system's environment (the
harness does): it writes ``[{"document_number": …, "password": …, "mobile": …, "email": …}, …]``.
The numbers are synthetic (valid GB 11643 check characters, birth dates in 1970-1999).
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

from servicekit import db
from servicekit.masking import mask_document_number
from tqr_identity.bootstrap import build_context
from tqr_identity.config import IdentitySettings
from tqr_identity.domain.documents import DocumentType, birth_date_of, gender_of
from tqr_identity.domain.gb11643 import make_valid_id_number
from tqr_identity.service_layer import events
from tqr_identity.service_layer.model import Account, RealNameStatus

BENCH_PASSWORD = "Bench#2026load"  # noqa: S105 - a throw-away database's synthetic accounts
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def synthetic_person(index: int) -> dict[str, str]:
    """A distinct, valid ID card number per index (region 110108 = 海淀区, different birth days)."""
    birth = date(1970, 1, 1) + timedelta(days=(index * 7) % 10950)
    number = make_valid_id_number("110108", birth, 100 + index % 900)
    name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)] + GIVEN[index % len(GIVEN)]
    return {"document_number": number, "name": name, "mobile": f"1370{index:07d}",
            "email": f"bench{index}@example.cn", "password": BENCH_PASSWORD}


def people(count: int, start: int = 0) -> list[dict[str, str]]:
    """Distinct people for indexes start … start+count-1 (numbers repeat only after 197,100 indexes)."""
    return [synthetic_person(index) for index in range(start, start + count)]


async def create_accounts(count: int, start: int = 0) -> list[dict[str, str]]:
    settings = IdentitySettings()
    engine = db.engine_for(settings)
    ctx = build_context(settings, engine)
    chosen = people(count, start)
    try:
        password_hash = await ctx.hasher.hash_async(BENCH_PASSWORD)
        now = ctx.now()
        async with ctx.transaction() as session:
            for person in chosen:
                number = person["document_number"]
                account = Account(
                    id=str(uuid.uuid4()), document_type=DocumentType.ID_CARD, document_number=number,
                    masked_document_number=mask_document_number(number), name=person["name"],
                    mobile=person["mobile"], email=person["email"], password_hash=password_hash,
                    agreement_version=settings.agreement_version, agreement_accepted_at=now,
                    real_name_status=RealNameStatus.VERIFIED, real_name_checked_at=now, created_at=now,
                    updated_at=now, gender=gender_of(DocumentType.ID_CARD, number),
                    birth_date=birth_date_of(DocumentType.ID_CARD, number),
                )
                await ctx.accounts.add(session, account)
                await ctx.accounts.save(session, account)  # status and check time, as the seed does
                await events.contact_details_changed(ctx, session, account)
                person["account_id"] = account.id
    finally:
        ctx.hasher.close()
        await engine.dispose()
    return chosen


def main(argv: list[str]) -> int:
    count, out = int(argv[0]), Path(argv[1])
    start = int(argv[2]) if len(argv) > 2 else 0
    created = asyncio.run(create_accounts(count, start))
    out.write_text(json.dumps(created, ensure_ascii=False), encoding="utf-8")
    print(f"bench set-up: {len(created)} verified applicant accounts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
