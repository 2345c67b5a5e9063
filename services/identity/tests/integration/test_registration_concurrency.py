"""R-ID-2 under concurrency: the database constraint decides, on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from servicekit.errors import RuleViolation
from sqlalchemy import func, select
from tqr_identity.adapters import orm
from tqr_identity.service_layer import registration

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_r_id_2_twenty_concurrent_registrations_of_one_document_make_exactly_one_account(
    make_ctx, pg_url, steps
) -> None:
    ctx = await make_ctx(pg_url)
    number = steps.new_id_number()
    attempts = []
    for i in range(20):  # each person proves their own mobile, as the real flow demands
        mobile = steps.new_mobile()
        code = await steps.request_code(ctx, mobile, client_id=f"198.51.100.{i}")
        attempts.append(steps.registration_of(number, mobile, code))

    results = await asyncio.gather(*(registration.register_account(ctx, a) for a in attempts),
                                   return_exceptions=True)

    created = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, RuleViolation)]
    assert len(created) == 1 and len(refused) == 19, results
    assert {r.code for r in refused} == {"R-ID-2"}
    async with ctx.reading() as session:
        assert await session.scalar(select(func.count()).select_from(orm.accounts)) == 1
        assert await session.scalar(select(func.count()).select_from(orm.outbox)
                                    .where(orm.outbox.c.event_type == "tqr.identity.v1.AccountRegistered")) == 1
