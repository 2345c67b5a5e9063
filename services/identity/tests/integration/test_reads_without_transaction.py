"""Reads run without a transaction (``IdentityContext.reading``): a sign-in at the peak reads the
account with no BEGIN and ROLLBACK around it, and so does every page that shows an account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from tqr_identity.service_layer import profile


def transaction_control_sent(ctx: Any) -> list[str]:
    """BEGIN, ROLLBACK and COMMIT as the connections' asyncpg logs them, from now on."""
    sent: list[str] = []
    engine = ctx.db.kw["bind"]

    def record(query: Any) -> None:
        keyword = query.query.strip().split()[0].rstrip(";").upper()
        if keyword in ("BEGIN", "ROLLBACK", "COMMIT"):
            sent.append(keyword)

    @event.listens_for(engine.sync_engine, "checkout")
    def _log(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(record)

    return sent


async def test_a_sign_in_and_an_account_page_read_without_a_transaction(make_ctx, pg_url, steps):
    ctx = await make_ctx(pg_url)
    account_id, number = await steps.register(ctx)
    sent = transaction_control_sent(ctx)
    signed_in = await steps.sign_in_as(ctx, number)
    details = await profile.get_account(ctx, account_id)
    assert signed_in.subject_id == account_id and details.account.name == "张老师"
    assert sent == [], sent


async def test_a_change_still_commits_in_a_transaction(make_ctx, pg_url, steps):
    """The control: the log sees a unit of work that writes (registering) as BEGIN … COMMIT."""
    ctx = await make_ctx(pg_url)
    sent = transaction_control_sent(ctx)
    await steps.register(ctx)
    assert "BEGIN" in sent and "COMMIT" in sent, sent
