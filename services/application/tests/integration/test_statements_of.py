"""The test helper that counts a call's statements leaves out the service's background work."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from services.application.tests.integration.statements import engine_of, statements_of


async def test_the_services_background_work_is_left_out_of_the_statements_counted(app, h):
    async def poll() -> None:  # as the outbox relay polls, in a task named as servicekit names it
        async with app.ctx.sessions() as session:
            await session.execute(text("SELECT 1 AS background_poll"))

    with statements_of(engine_of(app.ctx)) as statements:
        await asyncio.create_task(poll(), name="application-outbox-relay")
        async with app.ctx.sessions() as session:
            await session.execute(text("SELECT 2 AS measured_call"))
    assert [s for s in statements if "measured_call" in s]
    assert not [s for s in statements if "background_poll" in s], statements
    assert len([s for s in statements if s.startswith("BEGIN")]) == 1, statements  # the measured one's only
